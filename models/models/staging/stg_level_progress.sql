-- level_progress events with the skew-corrected time and its UTC day.
{{ staged_events('level_progress', ['level', 'status', 'duration_s', 'score']) }}
