"""Payment methods, payment intents, charges and invoice payments."""

from __future__ import annotations

from crm_emulators.stripe_emulator.records import (
    Charge,
    CreditNote,
    InvoicePayment,
    Json,
    PaymentError,
    PaymentIntent,
    PaymentMethod,
    Refund,
)
from crm_emulators.stripe_emulator.render.dispatch import list_object, render_live
from crm_emulators.stripe_emulator.store import Store

NO_ADDRESS: Json = {"city": None, "country": None, "line1": None, "line2": None,
                    "postal_code": None, "state": None}
CHECKS: Json = {"address_line1_check": None, "address_postal_code_check": None,
                "cvc_check": "pass"}


@render_live.register
def _payment_method(pm: PaymentMethod, store: Store) -> Json:
    return {
        "id": pm.id, "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": {"address": dict(NO_ADDRESS), "email": None, "name": None,
                            "phone": None, "tax_id": None},
        "card": {
            "brand": pm.brand, "checks": dict(CHECKS), "country": "US",
            "display_brand": pm.brand, "exp_month": pm.exp_month, "exp_year": pm.exp_year,
            "fingerprint": f"fp{pm.last4}{pm.brand}", "funding": pm.funding,
            "generated_from": None, "last4": pm.last4,
            "networks": {"available": [pm.brand], "preferred": None},
            "regulated_status": "unregulated", "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": pm.created, "customer": pm.customer, "customer_account": None,
        "livemode": False, "metadata": dict(pm.metadata), "type": "card",
    }


def _error(error: PaymentError | None) -> Json | None:
    if error is None:
        return None
    return {"charge": error.charge, "code": error.code, "decline_code": error.decline_code,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": error.message, "payment_method": error.payment_method,
            "type": "card_error"}


@render_live.register
def _payment_intent(pi: PaymentIntent, store: Store) -> Json:
    return {
        "id": pi.id, "object": "payment_intent", "amount": pi.amount,
        "amount_capturable": 0, "amount_details": {"tip": {}},
        "amount_received": pi.amount_received, "application": None,
        "application_fee_amount": None, "automatic_payment_methods": None,
        "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic",
        "client_secret": f"{pi.id}_secret_emulated", "confirmation_method": "automatic",
        "created": pi.created, "currency": pi.currency, "customer": pi.customer,
        "customer_account": None, "description": pi.description,
        "excluded_payment_method_types": None, "last_payment_error": _error(pi.last_error),
        "latest_charge": pi.latest_charge, "livemode": False,
        "managed_payments": {"enabled": False}, "metadata": dict(pi.metadata),
        "next_action": None, "on_behalf_of": None, "payment_method": pi.payment_method,
        "payment_method_configuration_details": None, "payment_method_options": {},
        "payment_method_types": ["card"], "processing": None, "receipt_email": None,
        "review": None, "setup_future_usage": None, "shipping": None, "source": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None,
        "status": pi.status, "transfer_data": None, "transfer_group": None,
    }


def _outcome(charge: Charge) -> Json:
    ok = charge.status == "succeeded"
    return {
        "advice_code": None, "network_advice_code": None, "network_decline_code": None,
        "network_status": "approved_by_network" if ok else "declined_by_network",
        "reason": None if ok else charge.decline_code, "risk_level": "normal",
        "seller_message": "Payment complete." if ok else "The bank did not return any "
                          "further details with this decline.",
        "type": "authorized" if ok else "issuer_declined",
    }


def _card_details(charge: Charge) -> Json:
    return {"card": {"brand": charge.brand, "checks": dict(CHECKS), "country": "US",
                     "exp_month": 12, "exp_year": 2034, "funding": "credit",
                     "last4": charge.last4, "network": charge.brand},
            "type": "card"}


@render_live.register
def _charge(charge: Charge, store: Store) -> Json:
    ok = charge.status == "succeeded"
    return {
        "id": charge.id, "object": "charge", "amount": charge.amount,
        "amount_captured": charge.amount if ok else 0,
        "amount_refunded": charge.amount_refunded, "application": None,
        "application_fee": None, "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {"address": dict(NO_ADDRESS), "email": None, "name": None,
                            "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "CRM-CONNECTOR", "captured": ok,
        "created": charge.created, "currency": charge.currency, "customer": charge.customer,
        "description": charge.description, "disputed": False,
        "failure_balance_transaction": None, "failure_code": charge.failure_code,
        "failure_message": charge.failure_message, "fraud_details": {}, "livemode": False,
        "metadata": dict(charge.metadata), "on_behalf_of": None, "outcome": _outcome(charge),
        "paid": ok, "payment_intent": charge.payment_intent,
        "payment_method": charge.payment_method,
        "payment_method_details": _card_details(charge), "receipt_email": None,
        "receipt_number": None, "receipt_url": None,
        "refunded": ok and charge.amount_refunded >= charge.amount,
        "refunds": list_object([_refund(r, store) for r in store.all(
            Refund, lambda r: r.charge == charge.id)], f"/v1/charges/{charge.id}/refunds"),
        "review": None,
        "shipping": None, "source": None, "source_transfer": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None,
        "status": charge.status, "transfer_data": None, "transfer_group": None,
    }


@render_live.register
def _invoice_payment(payment: InvoicePayment, store: Store) -> Json:
    return {
        "id": payment.id, "object": "invoice_payment", "amount_paid": payment.amount_paid,
        "amount_requested": payment.amount_requested, "created": payment.created,
        "currency": payment.currency, "invoice": payment.invoice, "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": payment.payment_intent, "type": "payment_intent"},
        "status": payment.status,
        "status_transitions": {"canceled_at": payment.canceled_at,
                               "paid_at": payment.paid_at},
    }


@render_live.register
def _refund(refund: Refund, store: Store) -> Json:
    charge = store.find(Charge, refund.charge)
    return {
        "id": refund.id, "object": "refund", "amount": refund.amount,
        "balance_transaction": None, "charge": refund.charge, "created": refund.created,
        "currency": refund.currency, "customer": charge.customer if charge else None,
        "customer_account": None,
        "destination_details": {"card": {"type": "reversal"}, "type": "card"},
        "metadata": dict(refund.metadata), "payment_intent": refund.payment_intent,
        "payment_method": charge.payment_method if charge else None,
        "reason": refund.reason, "receipt_number": None, "source_transfer_reversal": None,
        "status": refund.status, "transfer_reversal": None,
    }


@render_live.register
def _credit_note(note: CreditNote, store: Store) -> Json:
    return {
        "id": note.id, "object": "credit_note", "amount": note.amount, "amount_shipping": 0,
        "created": note.created, "currency": note.currency, "customer": note.customer,
        "customer_account": None, "customer_balance_transaction": None,
        "discount_amount": 0, "discount_amounts": [], "effective_at": note.effective_at,
        "invoice": note.invoice,
        "lines": list_object([], f"/v1/credit_notes/{note.id}/lines"), "livemode": False,
        "memo": note.memo, "metadata": dict(note.metadata), "number": note.number,
        "out_of_band_amount": note.out_of_band_amount,
        "pdf": f"https://pay.stripe.com/credit_notes/acct_emulator/test_{note.id}/pdf",
        "post_payment_amount": note.amount if note.type == "post_payment" else 0,
        "pre_payment_amount": note.amount if note.type == "pre_payment" else 0,
        "pretax_credit_amounts": [], "reason": note.reason,
        "refunds": [{"amount_refunded": refunded, "payment_record_refund": None,
                     "refund": refund_id, "type": "refund"}
                    for refund_id, refunded in note.refunds],
        "shipping_cost": None, "status": note.status, "subtotal": note.amount,
        "subtotal_excluding_tax": note.amount, "total": note.amount,
        "total_excluding_tax": note.amount, "total_taxes": [], "type": note.type,
        "voided_at": None,
    }
