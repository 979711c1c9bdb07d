"""People outside the feed: the city's own staff in the schools (ATSEM, after-school and canteen
staff, librarians, intervenors), entered by the school service one by one or by CSV.

- `csvfile`: reading the uploaded bytes (encoding, delimiter, header), no database;
- `checks`: every row's findings (OK / warning / error) against the directory;
- `services`: the writes (create, update, import check/apply/discard, departures);
- `selectors`, `forms`, `views`, `urls`: the pages, for the school service only.
"""
