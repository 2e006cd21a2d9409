"""Strings of the console's theme (django-unfold) for the zh_Hans catalog.

django-unfold ships no Simplified Chinese catalog, so its own words (the login page's
"Welcome back to", the sidebar search, filters, empty lists, theme switch …) would stay English
in a zh-hans console. They are listed here, marked with gettext_noop, so that
``scripts/makemessages.sh`` puts them into the project catalog
(src/gonghui/locale/zh_Hans/LC_MESSAGES/django.po), which takes precedence over every app.
Never imported; the msgids must equal unfold's exactly (see unfold's templates and forms.py).
Strings Django's own admin catalog already translates are not repeated here.
"""

from django.utils.translation import gettext_noop as _

UNFOLD_STRINGS = (
    # login / logout
    _("Welcome back to"),
    _("Return to site"),
    _("Toggle password visibility"),
    _("You have been successfully logged out from the administration"),
    # navigation and search
    _("Search apps and models..."),
    _("Type to search"),
    _("Recent searches"),
    _("No recent searches"),
    _("No results matching your query"),
    _("Loading more results..."),
    _("All applications"),
    _("Go back"),
    _("General"),
    # change lists, filters and actions
    _("Filters"),
    _("Apply Filters"),
    _("Reset filters"),
    _("No results found"),
    _("This page yielded into no results. Create a new item or reset your filters."),
    _("Select record"),
    _("Select all rows"),
    _("Select action"),
    _("Select action to run"),
    _("Run"),
    _("More actions"),
    _("Expand row"),
    _("Select value"),
    _("No data"),
    _("True"),
    _("False"),
    # forms and widgets
    _("Submit"),
    _("Cancel"),
    _("Date"),
    _("Choose file to upload"),
    _("Image preview"),
    _("Click to download"),
    _("Record picture"),
    _("This item will be deleted."),
    _("Click to cancel"),
    _("After you've created a user, you’ll be able to edit more user options."),
    _(
        "Raw passwords are not stored, so there is no way to see this user’s password, but you can "
        'change the password using <a href="{}" class="text-primary-600 dark:text-primary-500">'
        "this form</a>."
    ),
    # theme switch
    _("Light"),
    _("Dark"),
    _("System"),
)
