"""The composition root: settings, the URL map, the ASGI application and the site's own pages
(dashboard, health check, errors, sign-in and profile). It may import every app; no app imports it."""
