"""Who is at the desk: sign-in, PINs and lockout, user accounts, the audit trail."""
