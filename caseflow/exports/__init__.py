"""Excel out: the auditor's workbook, per-case histories, and their offline verification."""
