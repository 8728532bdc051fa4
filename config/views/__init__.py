"""The site's own pages: the dashboard, the health check, error pages, sign-in and profile."""
