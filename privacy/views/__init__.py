"""Data-protection pages, one module per area: `public` (no login), `requests` (the DPO's
register), `rectification` (directors and the DPO), `retention` (preview, holds, purges) and
`register` (audit trail search, inventory).
"""
