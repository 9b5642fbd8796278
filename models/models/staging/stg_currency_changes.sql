-- currency_change events with the skew-corrected time and its UTC day.
{{ staged_events('currency_change', ['currency_name', 'amount', 'reason', 'balance']) }}
