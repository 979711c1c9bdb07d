"""gunicorn settings, read from the working directory (the image's /app) at start.

The access log carries no personal data: the path without its query string (search terms are
names), no referrer (it holds the previous page's query), no user agent. The client is the
address the city's proxy saw (X-Forwarded-For, as resolved by entaix/client_ip.py for the app);
the log line shows the peer, which is the proxy.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
