-- enter_battle events with the skew-corrected time and its UTC day.
{{ staged_events('enter_battle', ['enemy', 'outcome']) }}
