"""Excel in: detention lists, validated row by row with the registration schema, previewed, then
imported all-or-nothing."""
