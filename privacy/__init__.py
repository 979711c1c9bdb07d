"""Data protection (GDPR) for the city's ENT, under the convention with the Académie.

- `models`: data requests (access, rectification, opposition, erasure), their subjects, notes,
  access exports, rectification tasks, legal holds, purge runs and their receipts;
- `services` (writes) / `selectors` (reads): the request register and its rules;
- `export`: the copy of a person's data (JSON + HTML in one ZIP);
- `retention` / `anonymise`: who is purged when, and how personal data is removed;
- `inventory`: every field of the project classified (personal, source, retention);
- `audit`: django-auditlog registration of every model holding personal data.

The DPO role is city staff (`accounts.scope.Scope.is_city`): the school service answers data
requests (README, "Who uses it").
"""
