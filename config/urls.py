from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import account as cms_account
from cms import admin_reports as cms_admin_reports
from cms import api as cms_api
from cms import checkout as cms_checkout
from config.benchmark import floor_view, write_floor_view
from marketplace import views as marketplace_views
from payments import views as payments_views
from payments import webhook_views as payments_webhooks

urlpatterns = [
    # The admin signs in through allauth too (verified e-mail, password or code).
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="wagtailadmin_login_redirect",
    ),
    # Before Wagtail's own: this report names other providers' drafts (cms.admin_reports).
    path(
        "admin/reports/page-types-usage/",
        cms_admin_reports.page_types_usage_view,
        name="page_types_usage_restricted",
    ),
    path(
        "admin/reports/page-types-usage/results/",
        cms_admin_reports.page_types_usage_results_view,
        name="page_types_usage_results_restricted",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public read-only API: one URL whatever the language.
    path("api/offers/", cms_api.offers_api, name="api_offers"),
    path("api/providers/", cms_api.providers_api, name="api_providers"),
    # Stripe posts signed events here (raw body, no CSRF token, no language prefix).
    path("webhooks/stripe/", payments_webhooks.stripe_webhook_view, name="stripe_webhook"),
    path(
        "webhooks/stripe/connect/",
        payments_webhooks.stripe_connect_webhook_view,
        name="stripe_connect_webhook",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.BENCHMARK:
    # The benchmarks' floors (tests/bench/); before Wagtail's catch-all.
    urlpatterns.append(path("__bench__/floor/", floor_view, name="bench_floor"))
    urlpatterns.append(path("__bench__/write/", write_floor_view, name="bench_write"))

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("devenir-partenaire/", marketplace_views.provider_apply_view, name="provider_apply"),
    path("panier/", cms_checkout.cart_view, name="cart"),
    path("panier/ajouter/<id:offer_id>/", cms_checkout.cart_add_view, name="cart_add"),
    path("panier/retirer/<id:line_id>/", cms_checkout.cart_remove_view, name="cart_remove"),
    path("panier/commander/", cms_checkout.checkout_view, name="checkout"),
    path("commandes/<str:reference>/", cms_checkout.order_view, name="order_detail"),
    path(
        "paiement/test/<str:reference>/",
        payments_views.dev_pay_view,
        name="dev_pay",
    ),
    path("paiement/stripe/<str:reference>/", payments_views.stripe_pay_view, name="stripe_pay"),
    path(
        "paiement/stripe/<str:reference>/annule/",
        payments_views.stripe_cancel_view,
        name="stripe_cancel",
    ),
    path("mes-reservations/", cms_account.my_bookings_view, name="my_bookings"),
    path("mes-reservations/<str:reference>/", cms_account.my_booking_view, name="my_booking"),
    path(
        "mes-reservations/<str:reference>/annuler/",
        cms_account.my_booking_cancel_view,
        name="my_booking_cancel",
    ),
    path("compte/export/", cms_account.my_data_export_view, name="my_data_export"),
    path("compte/supprimer/", cms_account.account_delete_view, name="account_delete"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
