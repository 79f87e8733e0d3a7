"""The case record of one child: intake, custody, consent; scope; codes; clocks."""
