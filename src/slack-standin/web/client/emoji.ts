/** Emoji names Slack's messages use here, and the characters the page shows for them (no emoji images). */
export const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', rotating_light: '🚨', mag: '🔍', mag_right: '🔎',
  bar_chart: '📊', chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', hourglass: '⌛', hourglass_flowing_sand: '⏳',
  arrows_counterclockwise: '🔄', repeat: '🔁', clock1: '🕐', clock3: '🕒', alarm_clock: '⏰', stopwatch: '⏱️', calendar: '📅',
  lock: '🔒', unlock: '🔓', key: '🔑', eyes: '👀', wave: '👋', tada: '🎉', thinking_face: '🤔', scissors: '✂️', no_entry: '⛔',
  no_entry_sign: '🚫', red_circle: '🔴', large_green_circle: '🟢', green_circle: '🟢', yellow_circle: '🟡', orange_circle: '🟠',
  large_blue_circle: '🔵', blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫', large_yellow_circle: '🟡', red_square: '🟥',
  green_square: '🟩', yellow_square: '🟨', satellite: '📡', satellite_antenna: '📡', signal_strength: '📶', electric_plug: '🔌',
  zzz: '💤', ghost: '👻', bust_in_silhouette: '👤', busts_in_silhouette: '👥', male_detective: '🕵️', detective: '🕵️',
  information_source: 'ℹ️', question: '❓', grey_question: '❔', exclamation: '❗', heavy_exclamation_mark: '❗', bulb: '💡',
  gear: '⚙️', wrench: '🔧', hammer_and_wrench: '🛠️', package: '📦', inbox_tray: '📥', outbox_tray: '📤', memo: '📝',
  pencil: '📝', pencil2: '✏️', page_facing_up: '📄', clipboard: '📋', card_index: '📇', file_folder: '📁', open_file_folder: '📂',
  link: '🔗', pushpin: '📌', round_pushpin: '📍', bell: '🔔', no_bell: '🔕', loudspeaker: '📢', mega: '📣', email: '📧',
  envelope: '✉️', incoming_envelope: '📨', speech_balloon: '💬', thought_balloon: '💭', raising_hand: '🙋', raised_hand: '✋',
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', ok_hand: '👌', clap: '👏', pray: '🙏', muscle: '💪',
  rocket: '🚀', fire: '🔥', sparkles: '✨', star: '⭐', boom: '💥', zap: '⚡', snail: '🐌', turtle: '🐢', racing_car: '🏎️',
  construction: '🚧', traffic_light: '🚥', vertical_traffic_light: '🚦', stop_sign: '🛑', checkered_flag: '🏁', triangular_flag_on_post: '🚩',
  cloud: '☁️', sun_with_face: '🌞', sunny: '☀️', globe_with_meridians: '🌐', earth_americas: '🌎', house: '🏠', office: '🏢',
  building_construction: '🏗️', factory: '🏭', money_with_wings: '💸', moneybag: '💰', dollar: '💵', heavy_dollar_sign: '💲',
  chart: '💹', abacus: '🧮', '1234': '🔢', hash: '#️⃣', books: '📚', book: '📖', ledger: '📒', notebook: '📓', scroll: '📜',
  shield: '🛡️', guardsman: '💂', police_car: '🚓', closed_lock_with_key: '🔐', see_no_evil: '🙈', new: '🆕', up: '🆙', cool: '🆒',
  heavy_plus_sign: '➕', heavy_minus_sign: '➖', arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️',
  arrow_forward: '▶️', arrow_backward: '◀️', leftwards_arrow_with_hook: '↩️', arrow_heading_up: '⤴️', small_blue_diamond: '🔹',
  small_orange_diamond: '🔸', large_blue_diamond: '🔷', black_small_square: '▪️', white_small_square: '▫️', radio_button: '🔘',
  hourglass_done: '⌛', skull: '💀', robot_face: '🤖', robot: '🤖', slightly_smiling_face: '🙂', smile: '😄', sweat_smile: '😅',
  confused: '😕', disappointed: '😞', cry: '😢', sob: '😭', partying_face: '🥳', face_with_monocle: '🧐', shrug: '🤷',
  person_shrugging: '🤷', handshake: '🤝', mailbox: '📫', mailbox_with_mail: '📬', telescope: '🔭', microscope: '🔬',
  test_tube: '🧪', dna: '🧬', date: '📅', spiral_calendar_pad: '🗓️', timer_clock: '⏲️', watch: '⌚', recycle: '♻️',
  broken_heart: '💔', heart: '❤️', green_heart: '💚', blue_heart: '💙', large_orange_diamond: '🔶', black_large_square: '⬛',
  white_large_square: '⬜', heavy_multiplication_x: '✖️', negative_squared_cross_mark: '❎', ballot_box_with_check: '☑️',
  double_vertical_bar: '⏸️', pause_button: '⏸️', black_right_pointing_triangle_with_double_vertical_bar: '⏯️', fast_forward: '⏩',
  rewind: '⏪', arrows_clockwise: '🔃', twisted_rightwards_arrows: '🔀', running: '🏃', walking: '🚶', sleeping: '😴',
  crystal_ball: '🔮', magic_wand: '🪄', jigsaw: '🧩', toolbox: '🧰', link_chain: '🔗', paperclip: '📎', floppy_disk: '💾',
  cd: '💿', computer: '💻', desktop_computer: '🖥️', keyboard: '⌨️', iphone: '📱', pager: '📟', card_file_box: '🗃️',
  file_cabinet: '🗄️', wastebasket: '🗑️', dart: '🎯', trophy: '🏆', medal: '🏅', gift: '🎁', balloon: '🎈', confetti_ball: '🎊',
  thermometer: '🌡️', droplet: '💧', ocean: '🌊', snowflake: '❄️', ice_cube: '🧊', seedling: '🌱', herb: '🌿', mushroom: '🍄',
  spider_web: '🕸️', bug: '🐛', ant: '🐜', bee: '🐝', owl: '🦉', turkey: '🦃', penguin: '🐧', duck: '🦆', unicorn_face: '🦄',
};

/** `:name:` codes in plain text replaced by their emoji, as Slack shows plain_text with `emoji: true`. */
export function emojify(text: string): string {
  return text.replace(/:([a-z0-9_+'-]+):/g, (m, name: string) => EMOJI[name] ?? m);
}
