"""Administration: users and organisations. Administrators see no child data."""
