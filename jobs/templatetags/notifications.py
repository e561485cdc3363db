from django import template

from jobs import notifications

register = template.Library()


@register.inclusion_tag("jobs/_bell.html", takes_context=True)
def failed_jobs_bell(context):
    """The top bar's bell: the member's unseen failed jobs in the current workspace."""
    request = context.get("request")
    workspace = context.get("current_workspace")
    user = getattr(request, "user", None)
    if workspace is None or user is None or not user.is_authenticated:
        return {"show": False}
    unread = notifications.unread_count(workspace, user)
    return {"show": True, "unread": unread, "label": notifications.count_label(unread)}
