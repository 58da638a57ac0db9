"""The demo seeding's app config: registered only so that ``seed_demo`` is found."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cms.demo"
    label = "demo"
