"""Shop integrations: Shopify (Admin GraphQL) and WooCommerce (REST v3) orders in, fulfilments with tracking out."""
from .base import Fulfilment, PullResult, ShopError  # noqa: F401
from .shopify import ShopifyClient  # noqa: F401
from .sync import ShopSync  # noqa: F401
from .woocommerce import WooCommerceClient  # noqa: F401
