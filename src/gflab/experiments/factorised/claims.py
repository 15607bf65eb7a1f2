"""Claims of the factorised family."""

from __future__ import annotations

from gflab.claims.claim import Claim

CLAIMS: tuple[Claim, ...] = ()
