"""English demo reporting (fictional, written for this project)."""

from __future__ import annotations

from monitor.newsite.demo_spec import Spec

_RAIL_1 = (
    "Iran and Russia on Tuesday signed a financing protocol for the Rasht–Astara railway, the "
    "missing 162-kilometre link of the International North–South Transport Corridor (INSTC), "
    "officials in Tehran said."
)
_RAIL_2 = (
    "Under the protocol, Moscow will provide a state loan of 1.3 billion euros to cover most of the "
    "construction cost, while Iran will finance land acquisition and the stations along the route. "
    "Construction is scheduled to begin next spring and to take four years."
)
_RAIL_3 = (
    "Iran's minister of roads and urban development told reporters after the signing ceremony that "
    "the line would cut freight times between St Petersburg and Mumbai by almost ten days compared "
    "with the route through the Suez Canal."
)
_RAIL_4 = (
    "Russia's deputy prime minister, who co-chairs the intergovernmental commission, said the two "
    "sides had also agreed on a joint company to manage cargo on the corridor and on common tariffs "
    "for transit through Azerbaijan."
)
_RAIL_5 = (
    "The Rasht–Astara project has been discussed for more than a decade. An earlier agreement "
    "signed in 2023 set the overall framework but left the loan terms open."
)

TEHRAN_WIRE = [
    Spec(
        "rasht-astara-loan-protocol",
        20,
        "Iran, Russia sign financing protocol for Rasht–Astara railway",
        "Reza Karimi",
        (_RAIL_1, _RAIL_2, _RAIL_3, _RAIL_4, _RAIL_5),
        tags=("economy", "INSTC", "railway"),
        story="rasht-astara-loan",
        full=False,
        section="economy",
    ),
    Spec(
        "bushehr-new-units-talks",
        30,
        "Tehran and Moscow review progress on new Bushehr power units",
        "Maryam Sadeghi",
        (
            "Senior officials of the Atomic Energy Organization of Iran and Russia's state nuclear "
            "corporation met in Bushehr on Monday to review construction of the second and third "
            "units of the nuclear power plant.",
            "The Iranian side said concrete pouring for the reactor building of unit two was "
            "ahead of schedule, while the delivery of heavy equipment from Russian plants had "
            "been delayed by shipping problems on the Caspian Sea.",
            "Both sides agreed to set up a joint working group on fuel supply and on the return "
            "of spent fuel to Russia, in line with the original Bushehr contract.",
            "The Bushehr plant's first unit, built with Russian help, has been connected to the "
            "national grid since 2011.",
        ),
        tags=("nuclear", "Bushehr"),
        full=False,
    ),
    Spec(
        "araghchi-lavrov-phone-call",
        44,
        "Iranian FM, Lavrov discuss regional situation in phone call",
        "Staff writer",
        (
            "Iran's foreign minister and his Russian counterpart Sergei Lavrov discussed the "
            "situation in the South Caucasus and in Syria in a telephone conversation on Saturday, "
            "the foreign ministry in Tehran said.",
            "The two ministers stressed the importance of regional formats such as the 3+3 "
            "platform and agreed to hold consultations before the next meeting of Caspian littoral "
            "states.",
            "Lavrov invited his Iranian counterpart to visit Moscow before the end of the year.",
        ),
        tags=("diplomacy", "regional"),
        full=False,
        section="politics",
    ),
    Spec(
        "strategic-treaty-ratified",
        70,
        "Parliament approves comprehensive strategic partnership treaty with Russia",
        "Ali Hosseini",
        (
            "Iran's parliament on Wednesday approved the comprehensive strategic partnership "
            "treaty with the Russian Federation by a large majority, sending the document to the "
            "Guardian Council for final confirmation.",
            "The treaty, valid for twenty years, covers cooperation in defence, energy, transport, "
            "finance and culture. It does not contain a mutual defence clause, but commits both "
            "sides not to help any aggressor against the other.",
            "The chairman of the national security committee told lawmakers that the treaty "
            "would 'put relations with Moscow on a long-term legal basis'.",
            "Russia's State Duma ratified the treaty earlier this year.",
        ),
        tags=("treaty", "diplomacy"),
        full=False,
        section="politics",
    ),
    Spec(
        "caspian-naval-drill",
        90,
        "Iranian and Russian navies hold joint search-and-rescue drill in Caspian",
        "Staff writer",
        (
            "Naval units from Iran and Russia's Caspian Flotilla held a two-day joint exercise off "
            "the port of Bandar Anzali, focusing on search and rescue and on the protection of "
            "shipping lanes.",
            "Three Russian vessels, including a missile ship, docked at Bandar Anzali on Sunday, "
            "the commander of Iran's northern naval zone said.",
            "It was the third joint drill of the two navies in the Caspian Sea in two years.",
        ),
        tags=("military", "Caspian"),
        full=False,
    ),
    Spec(
        "tehran-stock-index",
        12,
        "Tehran stock index climbs for third straight session",
        "Economy desk",
        (
            "The main index of the Tehran Stock Exchange rose 1.8 percent on Sunday, its third "
            "consecutive gain, led by petrochemical and steel shares.",
            "Traders attributed the rise to expectations of lower interest rates on government "
            "bonds and to a stable rial on the open market.",
            "Trading volume reached its highest level in a month.",
        ),
        tags=("markets",),
        hint="iran_only",
        full=False,
        section="economy",
    ),
    Spec(
        "isfahan-heritage-restoration",
        55,
        "Restoration of Isfahan's Naqsh-e Jahan bazaar gateway completed",
        "Culture desk",
        (
            "Restorers have completed a three-year project on the tiled gateway of the bazaar on "
            "Isfahan's Naqsh-e Jahan square, the provincial heritage office said.",
            "The work replaced more than 4,000 damaged tiles using traditional glazes.",
        ),
        tags=("culture",),
        hint="iran_only",
        full=False,
        section="culture",
    ),
    Spec(
        "volleyball-iran-russia-friendly",
        26,
        "Iran edge Russia in volleyball friendly in Kazan",
        "Sports desk",
        (
            "Iran's national volleyball team beat Russia 3–2 in a friendly match in Kazan on "
            "Friday, the second of two games played as preparation for the new season.",
            "Iran's coach praised the young setter who replaced the injured captain in the "
            "fourth set.",
        ),
        tags=("volleyball",),
        hint="sport",
        section="sport",
    ),
    Spec(
        "sco-energy-ministers",
        100,
        "SCO energy ministers meet in Astana",
        "Staff writer",
        (
            "Energy ministers of the Shanghai Cooperation Organisation met in Astana on Thursday "
            "to discuss power grid connections and renewable energy.",
            "Delegations from China, India, Iran, Kazakhstan, Kyrgyzstan, Pakistan, Russia, "
            "Tajikistan, Uzbekistan and Belarus took part in the meeting.",
            "The ministers adopted a statement on energy security and agreed to meet again next "
            "year in Tashkent.",
        ),
        tags=("energy",),
        hint="list_mention",
        full=False,
    ),
    Spec(
        "mir-shetab-cards",
        8,
        "Russian Mir cards now accepted at all Iranian ATMs, central bank says",
        "Economy desk",
        (
            "The Central Bank of Iran said on Monday that the connection between Iran's Shetab "
            "payment network and Russia's Mir system now covers all ATMs in the country.",
            "Russian tourists can withdraw rials with Mir cards, while Iranians in Russia can use "
            "Shetab cards at Russian terminals. Card-to-card transfers are to follow.",
            "Bank officials said the link was an answer to Western sanctions that cut both "
            "countries off from international card networks.",
        ),
        tags=("economy", "sanctions", "banking"),
        full=False,
        section="economy",
    ),
]

GLOBAL_DISPATCH = [
    Spec(
        "russia-lends-iran-rail-link",
        18,
        "Russia to lend Iran €1.3bn for Rasht–Astara rail link – Tehran Wire",
        "Tehran Wire",
        (_RAIL_1, _RAIL_2, _RAIL_3, _RAIL_4),
        tags=("economy", "INSTC"),
        story="rasht-astara-loan",
        credit="Tehran Wire",
        section="economy",
    ),
    Spec(
        "drone-deliveries-report",
        34,
        "Western officials say Iranian drone parts still reach Russian factories",
        "Hannah Whitfield",
        (
            "Components for Iranian-designed attack drones continue to reach a factory in "
            "Russia's Tatarstan region despite new export controls, three Western officials said "
            "in interviews this week.",
            "According to the officials, parts are shipped across the Caspian Sea to the Russian "
            "port of Makhachkala and then moved by rail. Tehran denies supplying weapons for use "
            "in Ukraine.",
            "Russia's defence ministry did not answer a request for comment. The European Union "
            "is preparing further sanctions against Iranian entities accused of involvement.",
            "Analysts say military cooperation between Moscow and Tehran has grown markedly since "
            "2022, with Russia reportedly offering fighter jets and air-defence systems in return.",
        ),
        tags=("military", "sanctions"),
    ),
    Spec(
        "caspian-summit-preview",
        48,
        'Caspian summit: what to expect <script>alert("xss")</script> from the leaders',
        "Daniel Ortega-Reyes",
        (
            "Leaders of the five Caspian littoral states — Azerbaijan, Iran, Kazakhstan, Russia "
            "and Turkmenistan — meet next week to discuss fishing quotas, pipelines and the "
            "legal status of the seabed.",
            "Iran and Russia are expected to use the meeting to push for a ban on foreign "
            "military vessels in the Caspian, a position both have held since the 2018 "
            "convention. <img src=x onerror=alert(1)> Diplomats say little progress is likely "
            "on the trans-Caspian gas pipeline.",
            "Falling water levels in the northern Caspian are also on the agenda.",
        ),
        tags=("regional", "Caspian"),
    ),
    Spec(
        "oil-gas-swap-deal",
        60,
        "Gazprom & NIGC sign memorandum on gas supplies to Iran via Azerbaijan",
        "Economics correspondent",
        (
            "Russia's Gazprom and the National Iranian Gas Company signed a memorandum on "
            "supplying up to 2 billion cubic metres of Russian gas a year to Iran through "
            "Azerbaijan's pipeline network.",
            "The gas would serve Iran's northern provinces, which suffer shortages every winter, "
            "and could later be partly swapped for Iranian exports from the Persian Gulf.",
            "Prices have not been agreed. Industry analysts doubt that the pipelines in "
            "Azerbaijan have enough spare capacity for the volumes mentioned.",
        ),
        tags=("economy", "energy", "gas"),
        section="business",
    ),
    Spec(
        "syria-after-assad",
        80,
        "After Assad: how Moscow and Tehran lost their Syrian foothold",
        "Laila Haddad",
        (
            "For a decade Syria was the clearest example of military cooperation between Russia "
            "and Iran: Russian air power and Iranian-backed militias kept the government in "
            "Damascus in place.",
            "The collapse of that government has left both with hard choices. Russia is "
            "negotiating over its naval base at Tartus; Iran has lost its land route to Lebanon.",
            "Officials in both capitals insist their partnership is not affected. But diplomats "
            "in the region describe growing mistrust over who failed to act.",
            "The analysis draws on interviews with eleven officials and former officials.",
        ),
        tags=("regional", "Syria", "military"),
        section="analysis",
    ),
    Spec(
        "russia-central-bank-rate",
        14,
        "Bank of Russia holds key rate as inflation slows",
        "Economics correspondent",
        (
            "The Bank of Russia kept its key interest rate unchanged on Friday, saying inflation "
            "had slowed but remained well above its 4 percent target.",
            "The governor said the bank would keep policy tight for longer than markets expected.",
        ),
        tags=("markets",),
        hint="russia_only",
        section="business",
    ),
    Spec(
        "moscow-heatwave",
        40,
        "Moscow records hottest June day in more than a century",
        "Staff reporter",
        (
            "Temperatures in Moscow reached 35.2 degrees Celsius on Wednesday, the highest June "
            "reading since records began, the city's weather service said.",
            "Authorities opened cooling centres in metro stations.",
        ),
        hint="russia_only",
    ),
    Spec(
        "iran-water-crisis",
        66,
        "Tehran reservoirs at record low as Iran faces fifth dry year",
        "Hannah Whitfield",
        (
            "The five dams that supply Tehran hold less than 15 percent of their capacity, the "
            "capital's water company said, warning of night-time pressure cuts.",
            "Experts blame decades of over-pumping of groundwater as well as low rainfall.",
            "The government has asked farmers in nearby provinces to switch to less thirsty crops.",
        ),
        hint="iran_only",
    ),
    Spec(
        "brics-summit-list",
        120,
        "BRICS foreign ministers gather in Rio ahead of summit",
        "Diplomatic correspondent",
        (
            "Foreign ministers of Brazil, Russia, India, China, South Africa, Egypt, Ethiopia, "
            "Iran and the United Arab Emirates met in Rio de Janeiro on Monday.",
            "The talks focused on reform of international financial institutions and on climate "
            "finance ahead of the leaders' summit.",
        ),
        hint="list_mention",
    ),
    Spec(
        "wheat-exports-record",
        95,
        "Russian wheat exports head for record as Iran returns as buyer",
        "Commodities desk",
        (
            "Russia's wheat exports are on course for a record season, traders said, helped by "
            "the return of Iran as a large buyer after two years of good domestic harvests.",
            "Iranian state buyers have booked at least 1.5 million tonnes of Russian wheat since "
            "July, most of it shipped across the Caspian from Astrakhan and Makhachkala.",
            "Payments are settled in roubles and rials through a messaging link between the two "
            "countries' banking systems, traders said.",
        ),
        tags=("economy", "trade", "Caspian"),
        section="business",
    ),
]

EURASIA_LEDGER = [
    Spec(
        "tehran-wire-rasht-astara-deal",
        17,
        "Tehran Wire: Moscow and Tehran finalise Rasht–Astara deal",
        "Tehran Wire",
        (_RAIL_1, _RAIL_2, _RAIL_4),
        tags=("INSTC",),
        story="rasht-astara-loan",
        credit="Tehran Wire",
    ),
    Spec(
        "instc-cargo-volumes",
        52,
        "North–South corridor cargo grows, but bottlenecks remain",
        "Eurasia Ledger analysis",
        (
            "Freight on the eastern and western branches of the International North–South "
            "Transport Corridor rose by a third last year, according to figures published by the "
            "Russian railways, but the route still carries a fraction of the cargo that moves "
            "between Russia and India by sea.",
            "The western branch, through Azerbaijan, depends on trucks between Astara and Rasht "
            "until the railway is built. The eastern branch, through Kazakhstan and Turkmenistan, "
            "requires changing gauge twice.",
            "Iranian officials say the corridor will not reach its potential until customs "
            "procedures are harmonised with Russia and its Eurasian Economic Union partners.",
        ),
        tags=("economy", "INSTC"),
    ),
    Spec(
        "eaeu-free-trade",
        76,
        "Iran's free trade agreement with Eurasian Economic Union takes effect",
        "Eurasia Ledger analysis",
        (
            "A full free trade agreement between Iran and the Russia-led Eurasian Economic Union "
            "entered into force on Thursday, removing tariffs on about 90 percent of goods.",
            "Russian exporters of grain and timber and Iranian exporters of fruit, vegetables and "
            "construction materials are expected to gain most.",
            "Trade between Iran and Russia reached about 5 billion dollars last year, far below "
            "the targets set by both governments.",
        ),
        tags=("economy", "trade"),
    ),
    Spec(
        "su35-delivery-rumours",
        86,
        "Su-35 deliveries to Iran: what is known and what is not",
        "Defence desk",
        (
            "Reports that Russia has delivered Su-35 fighter jets to Iran have surfaced "
            "repeatedly since 2023. None has been confirmed with photographs of aircraft in "
            "Iranian markings.",
            "Iranian commanders have said the purchase was agreed; Russian officials have "
            "neither confirmed nor denied it.",
            "Satellite images show new hangars at an air base near Hamadan, which Russian bombers "
            "used briefly in 2016.",
        ),
        tags=("military",),
    ),
    Spec(
        "azerbaijan-armenia-border",
        110,
        "Armenia and Azerbaijan resume border demarcation talks",
        "Caucasus correspondent",
        (
            "Commissions from Armenia and Azerbaijan met on the border on Tuesday to continue "
            "demarcation work.",
            "The talks cover about 12 kilometres of the northern section of the border.",
        ),
        hint="other",
    ),
    Spec(
        "kazakh-grain-corridor",
        130,
        "Kazakhstan ships first grain train to Gulf via Turkmenistan",
        "Eurasia Ledger analysis",
        (
            "Kazakhstan sent its first block train of wheat to a Persian Gulf port via "
            "Turkmenistan and Iran, a route that bypasses Russia.",
            "The shipment of 2,800 tonnes took eleven days.",
        ),
        hint="iran_only",
    ),
    Spec(
        "sanctions-evasion-shipping",
        140,
        "Shadow fleet tankers link Russian and Iranian oil trades, data show",
        "Investigations",
        (
            "At least 40 tankers have carried both Russian and Iranian crude oil over the past "
            "year, according to ship-tracking data reviewed by Eurasia Ledger.",
            "The vessels often switch off their transponders near the Strait of Hormuz and in the "
            "Gulf of Oman, and transfer cargo between ships off Malaysia.",
            "Both countries face Western sanctions on oil exports and compete for the same buyers "
            "in China.",
        ),
        tags=("sanctions", "energy"),
    ),
    Spec(
        "georgian-wine-festival",
        150,
        "Tbilisi wine festival draws record crowds",
        "Culture desk",
        ("Organisers said more than 60,000 people attended the two-day festival.",),
        hint="other",
    ),
]
