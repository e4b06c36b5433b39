/** The demo store's products: a small outdoor and home goods shop. Prices in US cents. */
export interface SeedProduct {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  categories: string[];
  attributes: Record<string, string>;
}

const p = (
  sku: string,
  name: string,
  priceMinor: number,
  categories: string[],
  description: string,
  attributes: Record<string, string> = {},
): SeedProduct => ({ sku, name, priceMinor, categories, description, attributes });

export const seedCatalog: readonly SeedProduct[] = [
  p("TENT-2P-ULTRA", "Ultralight Two-Person Tent", 34900, ["camping", "tents"], "A 1.4 kg freestanding tent with two doors, two vestibules and a fully taped rainfly.", { weight: "1.4 kg", capacity: "2 people", season: "3-season" }),
  p("TENT-4P-FAMILY", "Family Dome Tent for Four", 27900, ["camping", "tents"], "Roomy dome tent with a 2 m peak height, a front porch and colour-coded poles for quick pitching.", { weight: "5.8 kg", capacity: "4 people", season: "3-season" }),
  p("BAG-DOWN-0C", "Down Sleeping Bag 0 °C", 22900, ["camping", "sleeping"], "800-fill responsibly sourced down, a contoured hood and a full-length draft collar.", { "comfort rating": "0 °C", fill: "800-fill down", weight: "980 g" }),
  p("BAG-SYN-5C", "Synthetic Sleeping Bag 5 °C", 8900, ["camping", "sleeping"], "Stays warm when damp; machine washable and compresses into the included stuff sack.", { "comfort rating": "5 °C", fill: "synthetic", weight: "1.3 kg" }),
  p("PAD-INSUL-R4", "Insulated Sleeping Pad R4.2", 15900, ["camping", "sleeping"], "An air pad with reflective insulation for shoulder-season nights, with a one-way inflation valve.", { "r-value": "4.2", thickness: "7.6 cm" }),
  p("PILLOW-AIR", "Inflatable Camp Pillow", 3900, ["camping", "sleeping"], "A brushed-fabric pillow that packs down to the size of a fist.", { weight: "85 g" }),
  p("STOVE-CANISTER", "Compact Canister Stove", 4900, ["camping", "cooking"], "Boils a litre of water in three and a half minutes; folds into its own pot.", { output: "2.6 kW", weight: "83 g" }),
  p("STOVE-2BURNER", "Two-Burner Camp Stove", 13900, ["camping", "cooking"], "Two independently adjustable burners with wind shields, for car camping kitchens.", { output: "2 × 3 kW", fuel: "propane" }),
  p("POT-TI-900", "Titanium Pot 900 ml", 5900, ["camping", "cooking"], "A pot with folding handles, a lid that strains and room for a fuel canister inside.", { volume: "900 ml", material: "titanium" }),
  p("MUG-INSUL-350", "Insulated Camp Mug", 2400, ["camping", "cooking"], "Double-walled steel keeps coffee hot for an hour; slider lid included.", { volume: "350 ml" }),
  p("COOLER-45L", "Rotomolded Cooler 45 L", 29900, ["camping", "cooking"], "Keeps ice for up to five days; bear-resistant latches and a drain plug.", { volume: "45 L", "ice retention": "5 days" }),
  p("FILTER-SQUEEZE", "Squeeze Water Filter", 3900, ["camping", "water"], "A 0.1 micron hollow-fibre filter that screws onto standard bottles.", { "pore size": "0.1 micron", capacity: "380,000 L" }),
  p("BOTTLE-STEEL-1L", "Steel Water Bottle 1 L", 3400, ["camping", "water"], "Vacuum-insulated, leakproof and dishwasher safe.", { volume: "1 L" }),
  p("LANTERN-LED", "Rechargeable LED Lantern", 4500, ["camping", "lighting"], "400 lumens, a warm mode for the tent and a USB-C port to charge a phone.", { brightness: "400 lm", battery: "5200 mAh" }),
  p("HEADLAMP-350", "Headlamp 350 Lumen", 3900, ["camping", "lighting", "hiking"], "A red night-vision mode, a lock-out switch and a rechargeable battery.", { brightness: "350 lm", weight: "78 g" }),
  p("CHAIR-CAMP", "Folding Camp Chair", 6900, ["camping", "furniture"], "A high-back chair with a cup holder that folds into a shoulder bag.", { "max load": "130 kg", weight: "2.9 kg" }),
  p("TABLE-ROLL", "Roll-Top Aluminium Table", 8900, ["camping", "furniture"], "A stable table with adjustable legs that rolls up for transport.", { size: "70 × 70 cm" }),
  p("HAMMOCK-NYLON", "Parachute Nylon Hammock", 5900, ["camping", "furniture"], "Holds two people, with tree-friendly straps and a built-in stuff sack.", { "max load": "200 kg" }),
  p("PACK-38L", "Hiking Backpack 38 L", 17900, ["hiking", "packs"], "An adjustable torso, a ventilated back panel and a rain cover in the lid.", { volume: "38 L", weight: "1.3 kg" }),
  p("PACK-65L", "Trekking Backpack 65 L", 26900, ["hiking", "packs"], "Carries multi-day loads comfortably with a load-lifting hip belt.", { volume: "65 L", weight: "2.1 kg" }),
  p("DAYPACK-20L", "Daypack 20 L", 7900, ["hiking", "packs"], "A light pack with a hydration sleeve and stretch side pockets.", { volume: "20 L" }),
  p("POLES-CARBON", "Carbon Trekking Poles (Pair)", 13900, ["hiking"], "Three-section folding poles with cork grips and quick locks.", { weight: "380 g per pair", material: "carbon fibre" }),
  p("BOOT-HIKE-M", "Waterproof Hiking Boots", 18900, ["hiking", "footwear"], "A waterproof membrane, a grippy lugged sole and a cushioned midsole for long days.", { waterproof: "yes", drop: "10 mm" }),
  p("SHOE-TRAIL", "Trail Running Shoes", 14900, ["running", "footwear"], "A rock plate, 5 mm lugs and a breathable mesh upper.", { drop: "6 mm", weight: "290 g" }),
  p("SOCK-MERINO-3", "Merino Hiking Socks (3 Pack)", 4500, ["hiking", "clothing"], "Cushioned merino wool socks that don't smell after a week on the trail.", { material: "merino wool" }),
  p("JACKET-RAIN", "Packable Rain Jacket", 16900, ["clothing", "hiking"], "A three-layer waterproof shell with pit zips; packs into its own pocket.", { waterproof: "20,000 mm", weight: "310 g" }),
  p("JACKET-DOWN", "Down Insulated Jacket", 24900, ["clothing"], "Warm 800-fill down in a water-resistant shell, with a hood.", { fill: "800-fill down", weight: "360 g" }),
  p("FLEECE-MID", "Midweight Fleece Pullover", 8900, ["clothing"], "A quarter-zip grid fleece that breathes when you move and warms when you stop.", { material: "recycled polyester" }),
  p("BASE-MERINO", "Merino Base Layer Top", 7900, ["clothing"], "Soft 200 g/m² merino for cold mornings and warm afternoons.", { material: "merino wool", weight: "200 g/m²" }),
  p("HAT-SUN", "Wide-Brim Sun Hat", 3900, ["clothing", "hiking"], "UPF 50+ with a chin strap and a packable brim.", { protection: "UPF 50+" }),
  p("GLOVE-WINTER", "Insulated Winter Gloves", 5900, ["clothing", "snow"], "Waterproof gloves with touchscreen fingertips and removable liners.", { waterproof: "yes" }),
  p("SNOWSHOE-25", "Snowshoes 25 inch", 19900, ["snow"], "Aluminium frames with heel lifts and crampons for steep climbs.", { length: "25 in", "max load": "100 kg" }),
  p("GOGGLE-SKI", "Ski Goggles", 12900, ["snow"], "A spherical anti-fog lens with quick-change magnets.", { lens: "spherical", "light transmission": "18%" }),
  p("HELMET-SKI", "Ski Helmet", 13900, ["snow", "safety"], "In-mould construction with adjustable vents and a fit dial.", { certification: "EN 1077" }),
  p("KAYAK-TOUR", "Touring Kayak 4.2 m", 119900, ["water sports"], "A stable, fast touring kayak with two hatches and a drop-down skeg.", { length: "4.2 m", weight: "24 kg" }),
  p("PADDLE-KAYAK", "Fibreglass Kayak Paddle", 16900, ["water sports"], "Two-piece, feathering adjustment, with a fibreglass shaft.", { length: "220 cm" }),
  p("PFD-ADULT", "Adult Life Jacket", 9900, ["water sports", "safety"], "A low-profile buoyancy aid with a reflective trim and a whistle.", { buoyancy: "70 N" }),
  p("DRYBAG-20L", "Roll-Top Dry Bag 20 L", 2900, ["water sports", "camping"], "Welded seams keep gear dry in a capsize.", { volume: "20 L" }),
  p("SUP-INFLATABLE", "Inflatable Stand-Up Paddleboard", 59900, ["water sports"], "A rigid drop-stitch board with pump, paddle and leash included.", { length: "3.2 m", "max load": "120 kg" }),
  p("BIKE-LIGHT-SET", "Bike Light Set", 4900, ["cycling", "lighting"], "A 600-lumen front light and a bright rear light, both USB-C rechargeable.", { brightness: "600 lm" }),
  p("BIKE-HELMET", "Road Bike Helmet", 11900, ["cycling", "safety"], "A light ventilated helmet with a rotational-impact liner.", { weight: "260 g" }),
  p("BIKE-LOCK-U", "U-Lock with Cable", 6900, ["cycling"], "Hardened steel shackle plus a 1.2 m cable for the front wheel.", { "security rating": "gold" }),
  p("BIKE-PUMP", "Floor Pump with Gauge", 4900, ["cycling"], "Fills Presta and Schrader valves up to 11 bar.", { "max pressure": "11 bar" }),
  p("CLIMB-HARNESS", "Climbing Harness", 7900, ["climbing", "safety"], "Four gear loops, adjustable leg loops and a comfortable waist belt.", { certification: "UIAA" }),
  p("CLIMB-SHOES", "Climbing Shoes", 12900, ["climbing", "footwear"], "A moderately downturned all-round shoe with sticky rubber.", { closure: "velcro" }),
  p("CHALK-BAG", "Chalk Bag with Belt", 2400, ["climbing"], "A fleece-lined chalk bag with a brush holder.", {}),
  p("ROPE-9MM", "Dynamic Rope 9.5 mm × 60 m", 21900, ["climbing", "safety"], "A dry-treated single rope for sport and trad climbing.", { diameter: "9.5 mm", length: "60 m" }),
  p("FIRSTAID-KIT", "Trail First-Aid Kit", 3900, ["safety", "hiking"], "Bandages, blister care, antiseptic and a guide, in a waterproof pouch.", { items: "62" }),
  p("COMPASS-BASE", "Baseplate Compass", 2900, ["hiking", "navigation"], "Declination adjustment and a clinometer, with a magnifier.", {}),
  p("GPS-HANDHELD", "Handheld GPS Navigator", 34900, ["hiking", "navigation"], "Topographic maps, satellite messaging and 35 hours of battery.", { battery: "35 h" }),
  p("BINOC-8X42", "Binoculars 8×42", 24900, ["hiking", "optics"], "Waterproof, fog-proof binoculars with phase-corrected prisms.", { magnification: "8×", objective: "42 mm" }),
  p("SOLAR-PANEL-21W", "Foldable Solar Panel 21 W", 7900, ["camping", "electronics"], "Charges two devices in the sun; clips to a backpack.", { output: "21 W" }),
  p("POWERBANK-20K", "Power Bank 20,000 mAh", 5900, ["electronics", "camping"], "USB-C power delivery at 45 W and a rugged shell.", { capacity: "20,000 mAh" }),
];
