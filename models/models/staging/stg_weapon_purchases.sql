-- purchase_weapon events with the skew-corrected time and its UTC day.
{{ staged_events('purchase_weapon', ['weapon_type', 'gold_cost']) }}
