"""Fake UPS and USPS REST APIs on 127.0.0.1, answering what karrio's UPS and USPS connectors call."""
from __future__ import annotations

import time

from .server import FakeServer, Reply, Request

CLIENT_ID = "post-client-id"
CLIENT_SECRET = "post-client-secret"


class FakeUPS(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.activity: list[dict] = []
        self.route("POST", "/security/v1/oauth/token", self.token)
        self.route("POST", "/api/rating/v2409/Shop", self.rate)
        self.route("GET", "/api/track/v1/details/(?P<number>[^/]+)", self.track)
        self.route("POST", "/api/shipments/v2409/ship", self.ship)
        self.route("DELETE", "/api/shipments/v2409/void/cancel/(?P<id>[^/]+)", self.void)
        self.shipped: list[dict] = []

    def token(self, request: Request) -> Reply:
        import base64

        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Reply(401, {"response": {"errors": [{"code": "10401", "message": "ClientId is Invalid"}]}})
        return Reply(200, {"token_type": "Bearer", "issued_at": str(int(time.time() * 1000)), "client_id": CLIENT_ID,
                           "access_token": "ups-token", "expires_in": "14399", "status": "approved"})

    def rate(self, request: Request) -> Reply:
        money = lambda v: {"CurrencyCode": "USD", "MonetaryValue": v}  # noqa: E731
        rated = [
            {"Service": {"Code": code, "Description": ""}, "BillingWeight": {"UnitOfMeasurement": {"Code": "KGS"}, "Weight": "1.5"},
             "TransportationCharges": money(total), "BaseServiceCharge": money(total), "ServiceOptionsCharges": money("0.00"),
             "TotalCharges": money(total), "ItemizedCharges": [], "RatedPackage": []}
            for code, total in (("03", "14.20"), ("02", "27.85"))
        ]
        return Reply(200, {"RateResponse": {"Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                                            "RatedShipment": rated}})

    def track(self, request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer ups-token":
            return Reply(401, {"response": {"errors": [{"code": "250002", "message": "Invalid Authentication Information."}]}})
        if not self.activity:
            return Reply(200, {"trackResponse": {"shipment": [{"warnings": [{"code": "TW0001", "message": "Tracking Information Not Found"}]}]}})
        return Reply(200, {"trackResponse": {"shipment": [{"inquiryNumber": request.params["number"], "package": [{
            "trackingNumber": request.params["number"], "activity": list(reversed(self.activity)),
            "deliveryDate": [], "service": {"code": "003", "description": "UPS Ground"}}]}]}})

    def ship(self, request: Request) -> Reply:
        import base64
        import io

        from PIL import Image

        gif = io.BytesIO()
        Image.new("RGB", (4, 6), "white").save(gif, "GIF")
        number = f"1ZCT{len(self.shipped) + 1:014d}"
        self.shipped.append(request.json)
        return Reply(200, {"ShipmentResponse": {
            "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
            "ShipmentResults": {
                "ShipmentCharges": {"TotalCharges": {"CurrencyCode": "USD", "MonetaryValue": "14.20"}},
                "ShipmentIdentificationNumber": number,
                "PackageResults": [{"TrackingNumber": number, "ShippingLabel": {
                    "ImageFormat": {"Code": "GIF"}, "GraphicImage": base64.b64encode(gif.getvalue()).decode()}}]}}})

    def void(self, request: Request) -> Reply:
        return Reply(200, {"VoidShipmentResponse": {"Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                                                    "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}}}})

    def add_activity(self, status_type: str, code: str, description: str, date: str, time_of_day: str) -> None:
        self.activity.append({"date": date, "time": time_of_day, "status": {"type": status_type, "code": code,
                              "description": description},
                              "location": {"address": {"city": "Oakland", "stateProvince": "CA", "postalCode": "94607", "country": "US"}}})


class FakeUSPS(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []
        self.route("POST", "/oauth2/v3/token", self.token)
        self.route("POST", "/shipments/v3/options/search", self.rate)
        self.route("GET", "/tracking/v3/tracking/(?P<number>[^/]+)", self.track)

    def token(self, request: Request) -> Reply:
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        return Reply(200, {"access_token": "usps-token", "token_type": "Bearer", "expires_in": 28799, "status": "approved"})

    def rate(self, request: Request) -> Reply:
        options = [
            {"mailClass": mail_class, "rateOptions": [{"totalBasePrice": price, "totalPrice": price, "extraServices": [],
                                                       "commitment": {"name": days, "scheduleDeliveryDate": "2026-11-28"},
                                                       "rates": [{"description": product, "productName": product,
                                                                  "mailClass": mail_class, "price": price}]}]}
            for mail_class, product, price, days in (
                ("USPS_GROUND_ADVANTAGE", "USPS Ground Advantage", 6.95, "3 Days"),
                ("PRIORITY_MAIL", "Priority Mail", 9.85, "2 Days"))
        ]
        return Reply(200, {"originZIPCode": "94104", "destinationZIPCode": "94103",
                           "pricingOptions": [{"priceType": "COMMERCIAL", "shippingOptions": options}]})

    def track(self, request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer usps-token":
            return Reply(401, {"error": {"code": "401", "message": "Unauthorized"}})
        latest = self.events[-1]["eventType"] if self.events else "Pre-Shipment"
        return Reply(200, {"trackingNumber": request.params["number"], "status": latest, "statusCategory": latest,
                           "mailClass": "USPS_GROUND_ADVANTAGE", "trackingEvents": list(reversed(self.events))})

    def add_event(self, event_type: str, code: str, when: str) -> None:
        self.events.append({"eventType": event_type, "eventCode": code, "eventTimestamp": when, "eventCity": "OAKLAND",
                            "eventState": "CA", "eventZIP": "94607", "eventCountry": "US"})
