-- session_end events with the skew-corrected time and its UTC day.
{{ staged_events('session_end', ['duration_s']) }}
