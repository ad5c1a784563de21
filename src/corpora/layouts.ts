/** How a public corpus names its files: one table row per corpus, one matcher for all of them. */
export interface Layout {
  /** Also the name a recognised corpus gets. */
  id: string;
  title: string;
  /** ISO 639-1 code. */
  language: string;
  example: string;
  /**
   * Matched against the relative path without its extension, `/`-separated; the groups `speaker` and
   * `emotion` capture the fields. Shapes only: which emotion codes exist is `emotions`'s business.
   */
  pattern: RegExp;
  /** Emotion code as it appears in the name → the word the corpus's documentation gives it, lower-case English. */
  emotions: Readonly<Record<string, string>>;
}

export const AUDIO_EXTENSIONS: readonly string[] = ['.wav', '.flac', '.mp3', '.ogg', '.m4a', '.webm'];

/** The share of audio files a layout's rules must fit for the folder to count as that corpus. */
export const NEARLY_ALL = 0.95;

export const LAYOUTS: readonly Layout[] = [
  {
    id: 'ravdess',
    title: 'RAVDESS',
    language: 'en',
    example: 'Actor_12/03-01-05-01-02-01-12.wav',
    pattern: /(?:^|\/)\d{2}-\d{2}-(?<emotion>\d{2})-\d{2}-\d{2}-\d{2}-(?<speaker>\d{2})$/,
    emotions: {
      '01': 'neutral', '02': 'calm', '03': 'happy', '04': 'sad',
      '05': 'angry', '06': 'fearful', '07': 'disgust', '08': 'surprised',
    },
  },
  {
    id: 'crema-d',
    title: 'CREMA-D',
    language: 'en',
    example: '1001_DFA_ANG_XX.wav',
    pattern: /(?:^|\/)(?<speaker>\d{4})_[A-Z]{3}_(?<emotion>[A-Z]{3})_[A-Z]{1,2}$/,
    emotions: { ANG: 'anger', DIS: 'disgust', FEA: 'fear', HAP: 'happy', NEU: 'neutral', SAD: 'sad' },
  },
  {
    id: 'tess',
    title: 'TESS',
    language: 'en',
    example: 'OAF_back_angry.wav',
    pattern: /(?:^|\/)(?<speaker>OAF|YAF)_[^_/]+_(?<emotion>[a-z]+)$/,
    emotions: {
      angry: 'angry', disgust: 'disgust', fear: 'fear', happy: 'happy',
      neutral: 'neutral', ps: 'surprise', sad: 'sad',
    },
  },
  {
    id: 'savee',
    title: 'SAVEE',
    language: 'en',
    example: 'DC_a01.wav or DC/a01.wav',
    pattern: /(?:^|\/)(?<speaker>DC|JE|JK|KL)[_/](?<emotion>[a-z]{1,2})\d{2}$/,
    emotions: { a: 'anger', d: 'disgust', f: 'fear', h: 'happiness', n: 'neutral', sa: 'sadness', su: 'surprise' },
  },
  {
    id: 'emodb',
    title: 'EMO-DB',
    language: 'de',
    example: '03a01Fa.wav',
    pattern: /(?:^|\/)(?<speaker>\d{2})[ab]\d{2}(?<emotion>[A-Z])[a-z]$/,
    emotions: { W: 'anger', L: 'boredom', E: 'disgust', A: 'fear', F: 'happiness', T: 'sadness', N: 'neutral' },
  },
  {
    id: 'emovo',
    title: 'EMOVO',
    language: 'it',
    example: 'rab-f1-b1.wav',
    pattern: /(?:^|\/)(?<emotion>[a-z]{3})-(?<speaker>[fm]\d)-[a-z]+\d+$/,
    emotions: {
      dis: 'disgust', gio: 'joy', neu: 'neutral', pau: 'fear',
      rab: 'anger', sor: 'surprise', tri: 'sadness',
    },
  },
  {
    id: 'urdu',
    title: 'URDU',
    language: 'ur',
    example: 'Angry/SM1_F10_A010.wav',
    pattern: /(?:^|\/)(?<speaker>S[MF]\d+)_F\d+_(?<emotion>[A-Z])\d+$/,
    emotions: { A: 'angry', H: 'happy', N: 'neutral', S: 'sad' },
  },
  {
    id: 'turev-db',
    title: 'TurEV-DB',
    language: 'tr',
    example: 'Angry/1157_kz_acik.wav',
    pattern: /(?:^|\/)(?<speaker>\d{4})_(?<emotion>[a-z]{2})_[^_/]+$/,
    emotions: { kz: 'angry', sk: 'calm', mt: 'happy', hl: 'sad' },
  },
  {
    id: 'casia',
    title: 'CASIA',
    language: 'zh',
    example: 'liuchanhg/angry/201.wav',
    pattern: /(?:^|\/)(?<speaker>[^/]+)\/(?<emotion>[^/]+)\/\d+$/,
    emotions: {
      angry: 'angry', fear: 'fear', happy: 'happy', neutral: 'neutral', sad: 'sad', surprise: 'surprise',
    },
  },
  {
    id: 'shemo',
    title: 'ShEMO',
    language: 'fa',
    example: 'F01A01.wav',
    pattern: /(?:^|\/)(?<speaker>[FM]\d{2})(?<emotion>[A-Z])\d{2}$/,
    emotions: { A: 'anger', H: 'happiness', N: 'neutral', S: 'sadness', W: 'surprise', F: 'fear' },
  },
];

export function hasAudioExtension(path: string): boolean {
  const lower = path.toLowerCase();
  return AUDIO_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

export function withoutExtension(relativePath: string): string {
  return relativePath.replace(/\.[^./]*$/, '');
}

/** Speaker and emotion word from a relative path, or null where the name breaks the layout's rules. */
export function parseFileName(layout: Layout, relativePath: string): { speaker: string; emotion: string } | null {
  const groups = layout.pattern.exec(withoutExtension(relativePath))?.groups;
  if (groups === undefined || !Object.hasOwn(layout.emotions, groups.emotion)) return null;
  return { speaker: groups.speaker, emotion: layout.emotions[groups.emotion] };
}

export interface LayoutMatch {
  layout: Layout;
  /** How many of the names the layout's rules fit. */
  matched: number;
  /** Whether that is nearly all of them. */
  recognised: boolean;
}

/** Counts, name by name, how many names each layout's rules fit (the names may stream by). */
export function layoutCounter(): { add(relativePath: string): void; best(): LayoutMatch } {
  const matched = LAYOUTS.map(() => 0);
  let names = 0;
  return {
    add(relativePath) {
      names++;
      LAYOUTS.forEach((layout, index) => {
        if (parseFileName(layout, relativePath) !== null) matched[index]++;
      });
    },
    best() {
      let winner = 0;
      for (let index = 1; index < LAYOUTS.length; index++) if (matched[index] > matched[winner]) winner = index;
      return { layout: LAYOUTS[winner], matched: matched[winner], recognised: matched[winner] > 0 && matched[winner] >= NEARLY_ALL * names };
    },
  };
}

/** The layout whose rules fit the most of these names (the first in LAYOUTS on a tie). */
export function recogniseLayout(relativePaths: readonly string[]): LayoutMatch {
  const counter = layoutCounter();
  for (const path of relativePaths) counter.add(path);
  return counter.best();
}
