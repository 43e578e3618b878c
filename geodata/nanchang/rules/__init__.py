"""The ecological-environment access lists 生态环境准入清单 of the Nanchang dataset.

Two sources of clauses:

* :func:`general_requirements` — the city-wide 总体准入要求 (``unit_code`` null) that apply on top of
  every control unit;
* :func:`unit_rules` — the list of one control unit 环境管控单元, composed from its class (priority /
  key / general) and its tags (see ``FORMAT.md``).

Every clause is machine-readable: ``effect`` (prohibit / restrict / require), ``industry_codes`` (GB/T
4754-2017 sections or codes it names, all present in :data:`geodata.nanchang.industries.CATALOGUE`;
empty when it applies to every project) and ``conditions``, a flat JSON object with these keys:

===========================  ==================================================================
``new_or_expanded``          true: only new or expanded (新建、扩建) projects are concerned
``rivers`` / ``lakes``       names of the water bodies a clause is about
``distance_to_river_m``      the clause applies within this distance of the river bank (岸线)
``in_redline``               true: applies inside the ecological protection red line
``reserve_zones``            nature-reserve zones concerned (``ReserveZoneKind`` wire values)
``protection_grades``        water-source protection grades concerned (``ProtectionGrade`` values)
``pollutants``               pollutants an offset or limit is about (``VOCs``, ``NOx``, ``SO2``,
                             ``PM``, ``TP``, ``TN``, ``NH3-N``, ``heavy_metals``)
``offset_ratio``             required reduction per unit of new discharge (1 等量, 2 倍量)
``zone`` / ``area``          a named zone (Chinese) / ``urban_built_up`` for 城市建成区
``outside_chemical_park``    true: applies to projects outside a recognised chemical park
``capacity_replacement``     ``equal_or_reduced``: 产能等量或减量置换
``fuel``                     ``coal`` / ``high_pollution_fuel``
``boiler_t_per_h_below`` /   boiler capacity thresholds in t/h (蒸吨/小时)
``boiler_t_per_h_from``
``park`` / ``positioning``   the industrial park a clause is about / ``lead_industry``
``refer``                    ``general_requirements``: the clause refers to the city-wide list
``land_use_change_to``       land uses (``residential``, ``public_service``) a change of use is to
``handles_hazardous_``       true: applies to units producing, storing or using hazardous
``substances``               chemicals or toxic substances
``produces_hazardous_waste`` true: applies to producers of hazardous waste
``slope_deg_above``          applies on slopes steeper than this many degrees
===========================  ==================================================================

The texts are reconstructions in the style of Jiangxi's published 三线一单 lists and of the Nanchang
14th five-year eco-environment plan; legal citations are to the national laws and regulations named.
Everything here is deterministic: the output depends only on the arguments.

Modules by group: :mod:`.drafts` (the clause shorthands and numbering), :mod:`.city_wide`
(总体准入要求), :mod:`.themes` (park lead industries, rivers and lakes by place), :mod:`.water`
(water-source, river and lake clauses of every class), :mod:`.priority` (优先保护单元),
:mod:`.key_units` (重点管控单元) and :mod:`.general_units` (一般管控单元).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geodata.nanchang.rules.city_wide import general_requirements
from geodata.nanchang.rules.drafts import _number
from geodata.nanchang.rules.general_units import _general_unit_drafts
from geodata.nanchang.rules.key_units import _key_drafts
from geodata.nanchang.rules.priority import _priority_drafts
from zoning.vocabulary import ControlClass

__all__ = ["general_requirements", "unit_rules"]


def unit_rules(unit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The access list of one control unit, from its class and tags.

    ``unit`` carries the unit's properties ``{code, name_zh, class, division_code, tags}``. Priority
    units forbid industrial development and add red-line, nature-reserve, water-source, wetland,
    forest, lake and river clauses as tagged; key units carry their park's industry positioning,
    emission offsets and risk rules (industrial parks, chemical parks) or urban-core controls; general
    units refer to the city-wide requirements plus farmland, livestock and non-point-source clauses.
    Every unit gets at least one clause in each of the four dimensions, numbered 1..n per dimension.
    Raises ``ValueError`` for an unknown class.
    """
    control_class = ControlClass(unit["class"])
    tags = {str(tag) for tag in unit.get("tags") or ()}
    if control_class is ControlClass.PRIORITY:
        drafts = _priority_drafts(unit, tags)
    elif control_class is ControlClass.KEY:
        drafts = _key_drafts(unit, tags)
    else:
        drafts = _general_unit_drafts(unit, tags)
    return _number(drafts, str(unit["code"]))
