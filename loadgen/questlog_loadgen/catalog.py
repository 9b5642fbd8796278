"""The game's content and its balance: weapons, enemies, guilds and player networks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weapon:
    """A weapon in the shop: how often it is picked, what it costs and hits."""

    name: str
    weight: float
    price: int
    damage: int


@dataclass(frozen=True)
class Enemy:
    """An enemy: how often players pick a fight with it and how often an average player wins."""

    name: str
    weight: float
    win_rate: float


@dataclass(frozen=True)
class Guild:
    """A guild: how popular it is and the power it grants (some clients omit it)."""

    name: str
    weight: float
    special_power: str


@dataclass(frozen=True)
class Network:
    """A player network, seen by the API as the Host header; it shapes spending."""

    domain: str
    weight: float
    spend: float  # multiplier on purchase probability and price


WEAPONS = (
    Weapon("sword", 30, 120, 40),
    Weapon("bow", 22, 95, 32),
    Weapon("axe", 16, 140, 48),
    Weapon("dagger", 12, 45, 18),
    Weapon("staff", 9, 210, 55),
    Weapon("crossbow", 6, 260, 60),
    Weapon("warhammer", 4, 420, 85),
    Weapon("dragonlance", 1, 1500, 160),
)

# Dragons and liches are fought rarely and beat most players; goblins are easy prey.
ENEMIES = (
    Enemy("goblin", 30, 0.86),
    Enemy("wolf", 20, 0.78),
    Enemy("skeleton", 18, 0.66),
    Enemy("orc", 14, 0.55),
    Enemy("troll", 9, 0.40),
    Enemy("wraith", 5, 0.30),
    Enemy("lich", 2.5, 0.16),
    Enemy("dragon", 1.5, 0.08),
)

GUILDS = (
    Guild("Iron Wolves", 28, "shield wall"),
    Guild("Crimson Order", 22, "blood rage"),
    Guild("Silver Arrows", 18, "eagle eye"),
    Guild("Night Market", 14, "black market discount"),
    Guild("Stormcallers", 10, "chain lightning"),
    Guild("Order of the Lich", 5, "undying"),
    Guild("Dragon Riders", 3, "dragon mount"),
)

# Reserved .example names: no real network is implied.
NETWORKS = (
    Network("fiber.brightnet.example", 24, 1.6),
    Network("cable.homelink.example", 22, 1.2),
    Network("lte.northwind-mobile.example", 26, 0.9),
    Network("5g.skyward-telecom.example", 14, 1.1),
    Network("prepaid.budgetcell.example", 9, 0.45),
    Network("wifi.campus-univ.example", 5, 0.6),
)

PLATFORMS = ("android", "ios")
