"""Pages of published pipeline endpoints, one module per page or concern.

- `listing`: the list of endpoints.
- `detail`: one endpoint (versions and their diff, default version, enable/disable, keys) and the
  props of its React island (frontend/src/endpoints/): the "Try it" form, its curl and Python
  snippets, and the recent runs kept live over the notifications socket.
- `try_it`: what the island needs to build the "Try it" form (parameters, data asset choices).
- `publish`: the publish form of a draft or a job (the designer publishes from its toolbar through
  the REST API).
- `lookup`: finding an endpoint or a version for a page, and the friendly 404.

Every change goes through endpoints.actions, like the REST API.
"""
