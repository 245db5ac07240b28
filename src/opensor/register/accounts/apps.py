"""Django app configuration for users, roles and tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users of the register, the roles they hold and their API tokens."""

    name = "opensor.register.accounts"
    label = "accounts"
    verbose_name = "Brugere og adgang"
