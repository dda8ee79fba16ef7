"""Which level of government pays a fixed premium subsidy (毕节 医保扶贫方案 二(三)): by county class,
all province (deep-poverty counties), 5:2:3 province:city:county, or all county."""

from __future__ import annotations

import numpy as np

from ..parameters import PremiumSharing, category_bits


def premium_by_level(ps: PremiumSharing, subsidy: np.ndarray, weight: np.ndarray, cat_mask, district) -> dict:
    bits = category_bits(ps.categories)
    shared = subsidy * weight * ((cat_mask & bits) != 0)
    names, codes = np.unique(np.asarray(district, dtype=str), return_inverse=True)
    shares = np.array([ps.shares[ps.districts.get(n, ps.default_class)] for n in names]).reshape(-1, 3)
    per_district = np.bincount(codes, weights=shared, minlength=len(names))
    province, city, county = (per_district[:, None] * shares).sum(axis=0)
    return {
        "premium_subsidy_province": float(province),
        "premium_subsidy_city": float(city),
        "premium_subsidy_county": float(county),
    }
