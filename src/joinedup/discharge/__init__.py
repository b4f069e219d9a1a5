"""Delayed discharges: referrals that get medically fit patients home (housing, social care, CHC)."""
