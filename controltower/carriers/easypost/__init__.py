"""EasyPost: one account reaching 100+ parcel carriers (rates, labels, trackers, refunds, returns)."""
