"""``[notifications]``: the SMTP relay, the links emails carry, the branding, and the
catalog: which event goes to which audience, each ``enabled`` and (time-based ones)
``lead_days`` before its moment."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from connector.config_section import Section

EMAIL = r"^[^@\s]+@[^@\s]+$"
COLOUR = r"^#[0-9A-Fa-f]{6}$"


class EventConfig(Section):
    """One event of the notification catalog (``[notifications.<audience>.<event>]``)."""

    enabled: bool = True


LeadDays = Annotated[int, Field(ge=0, le=365)]


class TimedEventConfig(EventConfig):
    """A time-based event: sent ``lead_days`` before its moment (a trial end, a renewal)."""

    lead_days: LeadDays


class TrialExpiringConfig(TimedEventConfig):
    """``trial_expiring``: one day before the trial ends unless configured."""

    lead_days: LeadDays = 1


class RenewalReminderConfig(TimedEventConfig):
    """``renewal_reminder``: five days before the renewal is billed unless configured."""

    lead_days: LeadDays = 5


class CustomerEvents(Section):
    """``[notifications.customer.<event>]``: emails to the customer's billing contact."""

    trial_signup: EventConfig = EventConfig()
    trial_expiring: TrialExpiringConfig = TrialExpiringConfig()
    purchase_confirmation: EventConfig = EventConfig()
    payment_confirmation: EventConfig = EventConfig()
    renewal_reminder: RenewalReminderConfig = RenewalReminderConfig()
    payment_declined: EventConfig = EventConfig()
    license_changes: EventConfig = EventConfig()
    offer_sent: EventConfig = EventConfig()


class PartnerEvents(Section):
    """``[notifications.partner.<event>]``: emails to ``partner_recipients``."""

    stripe_unreachable: EventConfig = EventConfig()
    salesforce_unreachable: EventConfig = EventConfig()
    trial_signup: EventConfig = EventConfig()
    trial_expiring: TrialExpiringConfig = TrialExpiringConfig()
    trial_expired: EventConfig = EventConfig()
    purchase: EventConfig = EventConfig()
    payment_declined: EventConfig = EventConfig()
    license_changes: EventConfig = EventConfig()
    license_discrepancy: EventConfig = EventConfig()


class CsmEvents(Section):
    """``[notifications.csm.<event>]``: emails to the account's CSM."""

    potential_subscriptions: EventConfig = EventConfig()


class BrandingConfig(Section):
    """``[notifications.branding]``: what every catalog email shows of the company."""

    company_name: Annotated[str, Field(min_length=1, max_length=120)] = "crm-connector"
    logo_url: Annotated[str | None, Field(pattern=r"^https?://\S+$")] = None
    primary_colour: Annotated[str, Field(pattern=COLOUR)] = "#1F4E79"
    accent_colour: Annotated[str, Field(pattern=COLOUR)] = "#F2F5F9"
    text_colour: Annotated[str, Field(pattern=COLOUR)] = "#1A1A1A"
    footer: str = "You receive this email because of your subscription with us."
    reply_to: Annotated[str | None, Field(pattern=EMAIL)] = None


class NotificationsConfig(Section):
    """The SMTP relay, the links the emails carry, and the catalog: who gets which event."""

    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65_535)] = 587
    smtp_tls: bool = True
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = "billing-sync@example.com"
    salesforce_base_url: str | None = None
    potential_list_view: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")] = (
        "Potential_Subscriptions"
    )
    partner_recipients: tuple[Annotated[str, Field(pattern=EMAIL)], ...] = ()
    branding: BrandingConfig = BrandingConfig()
    customer: CustomerEvents = CustomerEvents()
    partner: PartnerEvents = PartnerEvents()
    csm: CsmEvents = CsmEvents()

    def event(self, audience: str, name: str) -> EventConfig:
        """The settings of the event ``audience.name`` (a catalog event)."""
        events: Section = getattr(self, audience)
        settings: EventConfig = getattr(events, name)
        return settings
