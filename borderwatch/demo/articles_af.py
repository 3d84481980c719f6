"""Kabul Dispatch (Kabul, English): fictional Afghan coverage for the sample site."""

from __future__ import annotations

from borderwatch.demo.articles import ArticleSpec

ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5531,
        slug="returnees-from-pakistan-crowd-torkham-reception-centre",
        title="Returnees from Pakistan crowd Torkham reception centre as deportations continue",
        author="Hamida Noori",
        days_ago=0,
        hours_ago=4,
        summary="Aid workers say families expelled from Pakistan arrive with little more than "
        "their clothes and need shelter before winter.",
        paragraphs=(
            "NANGARHAR - Families forced out of Pakistan waited in long lines at the reception "
            "centre on the Afghan side of Torkham, as aid workers warned that "
            "support for returnees was running short with winter approaching.",
            "Officials of the Islamic Emirate's refugees ministry said more than 6,000 people "
            "had crossed in the previous 24 hours, most of them holders of Proof of "
            "Registration cards whose permission to stay in Pakistan had expired.",
            "Sher Ahmad, 52, said he had lived in Peshawar since he was a child and was given "
            'three days by the police to leave. "My children do not know Afghanistan. We '
            'have nowhere to go in Kunduz," he said, holding a bag of documents.',
            "The UN refugee agency said the pace of deportations had increased since the border "
            "clashes and that many returnees were arriving without savings, after selling "
            "their belongings quickly and cheaply. It called on Pakistan to pause the "
            "expulsions during the winter months.",
            "Officials in Kabul have raised the treatment of Afghan refugees in the talks with "
            "Pakistan, which they say must cover the dignified return of migrants as well as "
            "trade and security.",
        ),
        section="Society",
        subjects=("refugees", "border", "talks"),
        updated_after_hours=3,
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5490,
        slug="aftershocks-rattle-balkh-after-strong-earthquake",
        title="Aftershocks rattle Balkh after strong earthquake damages homes",
        author="Javid Sultani",
        days_ago=4,
        hours_ago=7,
        summary="Rescue teams search collapsed mud-brick houses in northern Afghanistan after a "
        "magnitude 5.9 earthquake.",
        paragraphs=(
            "MAZAR-I-SHARIF - Several aftershocks shook Balkh province overnight after a strong "
            "earthquake damaged hundreds of homes in villages south of Mazar-i-Sharif, local "
            "officials said.",
            "The quake, measured at magnitude 5.9, struck shortly before dawn at a shallow "
            "depth, which seismologists said explained the damage to mud-brick houses across "
            "several districts. At least 14 people were killed and more than 160 injured.",
            "Rescue teams from the Afghan Red Crescent Society and the provincial disaster "
            "management department dug through rubble with shovels and bare hands in the "
            "hardest-hit villages of Sholgara and Chimtal.",
            '"We slept outside because everyone is afraid of another shock," said Zarifa, a '
            "mother of five whose house lost two walls. Families lit fires against the cold "
            "as temperatures fell close to freezing.",
            "The World Health Organization said it had sent medicines and trauma kits to the "
            "regional hospital in Mazar-i-Sharif. Officials said they were assessing the "
            "needs of about 2,000 families.",
        ),
        section="Afghanistan",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5528,
        slug="islamic-emirate-says-pakistan-security-is-pakistans-responsibility",
        title="Islamic Emirate says it will not be blamed for Pakistan's security failures",
        author="Mirwais Rahimi",
        days_ago=0,
        hours_ago=6,
        summary="A spokesman says Kabul is committed to the ceasefire and the talks but rejects "
        "Pakistan's accusations over the TTP.",
        paragraphs=(
            "KABUL - The Islamic Emirate is committed to the ceasefire with Pakistan and to the "
            "talks hosted by Qatar and Türkiye, but will not accept responsibility for security "
            "problems inside Pakistan, a spokesman for the government said at a news conference "
            "in Kabul.",
            "The spokesman said Afghan soil was not being used against any country and that the "
            'Islamic Emirate had given this commitment in Doha and again in Istanbul. "The '
            'problems of the TTP began in Pakistan and they must be solved in Pakistan," he '
            "said.",
            "He said the Afghan delegation had raised the airstrikes on Afghan territory, the "
            "closure of the crossings and the treatment of Afghan refugees in Pakistan, and "
            "that these issues would be on the agenda of any future round of negotiations.",
            "Asked about the monitoring mechanism agreed in Istanbul, he said the Islamic "
            "Emirate would take part in good faith and expected Pakistan to do the same. He "
            "called for Torkham and Spin Boldak to be reopened to trade without delay.",
            "Analysts in Kabul said the statement was aimed at a domestic audience as much as "
            "at Islamabad, and that neither side wanted to be seen walking away from the "
            "mediators.",
        ),
        section="Afghanistan",
        subjects=("talks", "ceasefire", "security", "border", "refugees", "trade"),
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5519,
        slug="kandahar-fruit-growers-lose-harvest-as-spin-boldak-stays-closed",
        title="Kandahar fruit growers lose harvest as Spin Boldak stays closed",
        author="Nazifa Barakzai",
        days_ago=1,
        hours_ago=9,
        summary="Grapes and pomegranates meant for Pakistani markets are rotting in cold stores "
        "as the crossing to Chaman remains shut.",
        paragraphs=(
            "KANDAHAR - Fruit growers in Kandahar say they are losing most of this season's "
            "harvest because the Spin Boldak crossing into Pakistan has been closed to trade "
            "since the fighting along the border.",
            "Pomegranates and late grapes, which are usually sold in Quetta, Karachi and "
            "Lahore, are piling up in the province's few cold stores. Farmers said those "
            "without storage had sold their fruit at a quarter of last year's price.",
            '"Our gardens are full, the markets are closed," said Abdul Bari, who grows '
            "pomegranates in Arghandab. He said he had borrowed money for fertiliser and "
            "water pumps and did not know how he would repay it.",
            "The Kandahar chamber of commerce said more than 300 lorries loaded with fruit were "
            "waiting on the Afghan side of the crossing. Some traders have sent consignments "
            "through Iran, but the longer route leaves fruit damaged and expensive.",
            "Officials of the ministry of commerce said they had asked the Pakistani side, "
            "through the mediators, to reopen the crossing at least for perishable exports. "
            "They said air corridors to Central Asia and India were being expanded to help "
            "farmers.",
        ),
        section="Economy",
        subjects=("border", "trade", "talks"),
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5512,
        slug="paktika-villagers-describe-night-of-airstrikes",
        title="Paktika villagers describe the night of the airstrikes",
        author="Hamida Noori",
        days_ago=2,
        hours_ago=5,
        summary="Residents of Barmal district say the strikes hit homes, not militant bases; "
        "Pakistan says it targeted TTP hideouts.",
        paragraphs=(
            "PAKTIKA - Residents of Barmal district say they are still clearing rubble from "
            "homes hit by Pakistani airstrikes in the days before the ceasefire, and that they "
            "are afraid the bombing could start again if the talks fail.",
            "Gul Jan, a farmer, said his brother's house was hit after midnight while the "
            'family slept. "There were no fighters here, only children and cattle," he said, '
            "standing beside a collapsed wall. Local officials said at least ten civilians "
            "were killed in the district.",
            "Pakistan has said its strikes targeted hideouts of the TTP responsible for attacks "
            "in Pakistan, and that it took care to avoid civilians. Kabul Dispatch could not "
            "independently verify either account.",
            "Elders in Barmal said the cross-border strikes had turned people against both "
            "sides. They asked the mediators in Istanbul to send observers to the area as part "
            "of the planned verification of the ceasefire.",
            "The UN mission in Afghanistan has called for an investigation into the civilian "
            "casualties and for both governments to respect international humanitarian law.",
        ),
        section="Afghanistan",
        subjects=("security", "ceasefire", "talks"),
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5507,
        slug="afghan-importers-turn-to-chabahar-as-pakistan-route-stays-shut",
        title="Afghan importers turn to Chabahar as the Pakistan route stays shut",
        author="Javid Sultani",
        days_ago=3,
        hours_ago=4,
        summary="Traders say goods from India and the Gulf now come through Iran's Chabahar "
        "port, as transit through Karachi has stopped.",
        paragraphs=(
            "KABUL - Afghan importers are moving more of their goods through Iran's Chabahar "
            "port as the closure of the border with Pakistan has halted transit trade through "
            "Karachi, traders and officials said.",
            "The Afghanistan Chamber of Commerce and Investment said shipping lines had added "
            "sailings to Chabahar and that freight rates on the route had risen. Goods from "
            "India, the Gulf and East Asia reach Kabul by road through Nimroz and Herat.",
            '"The road from Chabahar is long, but it is open," said Wahid Ahmadzai, who '
            "imports cooking oil and tyres. He said his costs were higher than through "
            "Pakistan, but that he could no longer plan around sudden closures at Torkham.",
            "The ministry of commerce said the Islamic Emirate wanted to reduce its dependence "
            "on a single neighbour and was also expanding rail links with Uzbekistan and "
            "Turkmenistan.",
            "Economists in Kabul warned that the shift would raise prices for Afghan consumers "
            "in the short term. Pakistani exporters say they risk losing a market that took "
            "more than a billion dollars of their goods a year.",
        ),
        section="Economy",
        subjects=("trade", "border"),
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5502,
        slug="kabul-names-delegation-for-istanbul-talks-with-pakistan",
        title="Kabul names delegation for Istanbul talks with Pakistan",
        author="Mirwais Rahimi",
        days_ago=3,
        hours_ago=8,
        summary="The deputy interior minister will lead the Afghan side, with officials from "
        "defence, foreign affairs and intelligence.",
        paragraphs=(
            "KABUL - The Islamic Emirate has named the delegation that will represent "
            "Afghanistan at the next round of talks with Pakistan in Istanbul, officials said.",
            "The delegation will be led by Deputy Interior Minister Haji Rahmatullah Najib and "
            "will include officials from the ministries of defence and foreign affairs and the "
            "General Directorate of Intelligence, according to a ministry of foreign affairs "
            "statement.",
            "The statement said the delegation had been instructed to seek a lasting end to "
            "the violations of Afghan airspace, the reopening of the crossings for trade and "
            "the dignified treatment of Afghan refugees in Pakistan, and to make the "
            "ceasefire agreed in Doha permanent.",
            "Pakistan's delegation is expected to be made up of security and intelligence "
            "officials. Islamabad has said its central demand is action against the Pakistani "
            "Taliban, whom it accuses of operating from Afghan territory.",
            "A former Afghan diplomat said the make-up of the two delegations showed that "
            'security would dominate the agenda. "Trade and refugees will only move once the '
            'security file moves," he said.',
        ),
        section="Region",
        subjects=("talks", "ceasefire", "trade", "refugees", "security"),
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5497,
        slug="iran-deports-thousands-of-afghans-through-islam-qala",
        title="Iran deports thousands of Afghans through Islam Qala in a single day",
        author="Sima Ahmadi",
        days_ago=4,
        hours_ago=2,
        summary="Officials in Herat say more than 9,000 people were returned from Iran, many "
        "of them young men detained at work.",
        paragraphs=(
            "HERAT - More than 9,000 Afghans were deported from Iran through the Islam Qala "
            "crossing in a single day, officials in Herat said, one of the highest numbers "
            "recorded this year.",
            "Most of those returned were young men who said they had been detained at "
            "construction sites and workshops in Tehran, Isfahan and Mashhad and held for "
            "several days before being bussed to the border.",
            '"They took my phone and my wages. I have nothing to show my family," said '
            "Ahmad Zia, 24, from Ghor, who had worked in Iran for three years. Many said they "
            "had valid documents that Iranian officers refused to accept.",
            "The International Organization for Migration said its reception centre at Islam "
            "Qala was struggling to provide food, transport and health checks for the numbers "
            "arriving. Families with children were given priority.",
            "Iranian officials have said that migrants without legal residence must leave "
            "the country. The Islamic Emirate's refugees ministry has asked Tehran to slow the "
            "deportations and to allow workers to collect their wages before leaving.",
        ),
        section="Society",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5494,
        slug="kabul-power-cuts-lengthen-as-imported-electricity-falls",
        title="Kabul power cuts lengthen as imported electricity falls",
        author="Sima Ahmadi",
        days_ago=2,
        hours_ago=9,
        summary="Residents of the capital get only a few hours of electricity a day as supply "
        "from Uzbekistan drops with the cold.",
        paragraphs=(
            "KABUL - Residents of Kabul say they are getting as little as four hours of "
            "electricity a day as imports from Central Asia fall with the onset of cold "
            "weather, and the national power company warned that the shortage could worsen.",
            "Da Afghanistan Breshna Sherkat said supply from Uzbekistan had dropped because "
            "demand there rises in autumn and winter, while repairs to a transmission line "
            "from Turkmenistan had not yet been finished.",
            "Shopkeepers in Karte Char said they had returned to diesel generators, which "
            'double their costs. "We sell less and pay more. Every winter it is the same '
            'story," said a baker who opens before dawn.',
            "Hospitals have been given priority and most have their own generators, but "
            "smaller clinics say they struggle to keep vaccines and medicines cool.",
            "The company said new domestic generation from solar projects near Kabul and a "
            "hydropower plant in the north would ease the pressure in coming years, but that "
            "Afghanistan would depend on imported electricity for a long time.",
        ),
        section="Afghanistan",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="kabul-dispatch",
        number=5485,
        slug="returnees-from-pakistan-receive-land-in-nangarhar-township",
        title="Returnees from Pakistan receive land in new Nangarhar township",
        author="Hamida Noori",
        days_ago=5,
        hours_ago=3,
        summary="Families who were deported from Pakistan are given plots near Jalalabad, but "
        "say they have no money to build.",
        paragraphs=(
            "NANGARHAR - More than 1,200 families who returned from Pakistan have been given "
            "plots of land in a new township east of Jalalabad, provincial officials said at a "
            "ceremony attended by aid agencies.",
            "The township, on barren land near the highway to Torkham, is meant to house "
            "returnees who have no homes to go back to after decades as refugees in Pakistan. "
            "Officials said roads, a school and a clinic were planned.",
            "Many families said they were grateful for the land but had no money to build on "
            'it. "We sold everything in Peshawar in two days. Now I have a piece of paper and '
            'a tent," said Khalid, a former rickshaw driver.',
            "The UN refugee agency said returns from Pakistan had risen sharply since the "
            "deportation campaign was extended to holders of Proof of Registration cards, and "
            "that winter shelter was the most urgent need.",
            "Provincial officials said they had asked the central government for cement and "
            "building materials, and were in talks with charities about cash support for the "
            "most vulnerable returnees.",
        ),
        section="Society",
        subjects=("refugees",),
    ),
)
