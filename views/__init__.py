"""Web views: the back office (``views.admin``) and the trainee portal (``views.portal``)."""
