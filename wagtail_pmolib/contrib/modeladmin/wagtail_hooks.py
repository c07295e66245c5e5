from wagtail_modeladmin.options import modeladmin_register

from .options import FeedbackModelAdmin

modeladmin_register(FeedbackModelAdmin)
