from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import admin_reports as cms_admin_reports
from cms import api as cms_api
from config.benchmark import floor_view, write_floor_view
from marketplace import views as marketplace_views
from marketplace.orders import admin as order_admin
from marketplace.orders import receipt_views
from marketplace.orders import views as order_views
from marketplace.orders import views_account as account_views
from payments.providers import dev as dev_payment
from payments.providers import stripe as stripe_payment
from payments.stripe import webhook_views as payments_webhooks

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
    # Before Wagtail's own: the orders' and bookings' history is scoped like their admin.
    path(
        "admin/reports/site-history/",
        order_admin.SiteHistoryView.as_view(),
        name="site_history_scoped",
    ),
    path(
        "admin/reports/site-history/results/",
        order_admin.SiteHistoryView.as_view(results_only=True),
        name="site_history_results_scoped",
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
    path("panier/", order_views.cart_view, name="cart"),
    path("panier/ajouter/<id:offer_id>/", order_views.cart_add_view, name="cart_add"),
    path("panier/retirer/<id:line_id>/", order_views.cart_remove_view, name="cart_remove"),
    path("panier/commander/", order_views.checkout_view, name="checkout"),
    path("commandes/<str:reference>/", order_views.order_view, name="order_detail"),
    path("commandes/<str:reference>/recu/", receipt_views.order_receipt_view, name="order_receipt"),
    path(
        "commandes/<str:reference>/recu.pdf",
        receipt_views.order_receipt_pdf_view,
        name="order_receipt_pdf",
    ),
    path(
        "commandes/<str:reference>/remboursements/<id:refund_id>/recu/",
        receipt_views.refund_receipt_view,
        name="refund_receipt",
    ),
    path(
        "commandes/<str:reference>/remboursements/<id:refund_id>/recu.pdf",
        receipt_views.refund_receipt_pdf_view,
        name="refund_receipt_pdf",
    ),
    path(
        "paiement/test/<str:reference>/",
        dev_payment.dev_pay_view,
        name="dev_pay",
    ),
    path("paiement/stripe/<str:reference>/", stripe_payment.stripe_pay_view, name="stripe_pay"),
    path(
        "paiement/stripe/<str:reference>/annule/",
        stripe_payment.stripe_cancel_view,
        name="stripe_cancel",
    ),
    path("mes-reservations/", account_views.my_bookings_view, name="my_bookings"),
    path("mes-reservations/<str:reference>/", account_views.my_booking_view, name="my_booking"),
    path(
        "mes-reservations/<str:reference>/annuler/",
        account_views.my_booking_cancel_view,
        name="my_booking_cancel",
    ),
    path("compte/export/", account_views.my_data_export_view, name="my_data_export"),
    path("compte/supprimer/", account_views.account_delete_view, name="account_delete"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
