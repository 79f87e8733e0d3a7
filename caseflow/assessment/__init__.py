"""Age assessment: only on serious written doubt, with consent, least intrusive methods first, by an
independent assessor; the result is a range and the minimum is the age used (benefit of the doubt)."""
