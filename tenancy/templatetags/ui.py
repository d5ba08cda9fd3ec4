from django import template

register = template.Library()


@register.filter
def ui_url(obj, action):
    return obj.ui_url(action)


@register.filter
def verbose_name(model):
    return model._meta.verbose_name
