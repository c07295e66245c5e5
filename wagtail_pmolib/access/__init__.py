"""Who may get what: rules about access that pages, admin views and (later) the
JSON API share. Plain Python over the ORM, no HTTP."""
