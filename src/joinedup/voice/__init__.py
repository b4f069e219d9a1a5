"""Public voice: feedback and concerns, moderation, themes, provider replies, consultations, board reports."""
