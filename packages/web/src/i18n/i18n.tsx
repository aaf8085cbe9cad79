import { createContext, use, useEffect, useMemo, useState, type ReactNode } from "react";
import type { ErrorCode } from "@wsspaces/protocol";
import type { ClientErrorCode } from "../api/api-error";
import { en, type MessageKey, type Messages } from "./en";
import { zh } from "./zh";

export const LANGUAGES = [
  { code: "en", label: "English", locale: "en" },
  { code: "zh", label: "简体中文", locale: "zh-CN" },
] as const;
export type Lang = (typeof LANGUAGES)[number]["code"];

const DICTIONARIES: Record<Lang, Messages> = { en, zh };
const STORAGE_KEY = "wsspaces.lang";

/** Keys with `_one` / `_other` forms, named without the suffix. */
export type PluralKey = { [K in MessageKey]: K extends `${infer Base}_other` ? Base : never }[MessageKey];

// Every error code has a text: this fails to compile, naming the key, when one is missing.
type MissingErrorTexts = Exclude<`error.${ErrorCode | ClientErrorCode}`, MessageKey>;
export const EVERY_ERROR_HAS_TEXT: [MissingErrorTexts] extends [never] ? true : MissingErrorTexts = true;

export type Vars = Record<string, string | number>;

export interface I18n {
  lang: Lang;
  locale: string;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** The plural form for `n` (`{n}` is filled in). */
  tn: (key: PluralKey, n: number, vars?: Vars) => string;
  /** The text of a message key built at run time (e.g. `error.<code>`), if there is one. */
  maybe: (key: string, vars?: Vars) => string | undefined;
  formatDateTime: (iso: string) => string;
  /** "3 minutes ago" relative to `now` (ms). */
  formatRelative: (iso: string, now: number) => string;
  /** A duration in milliseconds: "850 ms", "3.2 s", "2 min 5 s". */
  formatDuration: (ms: number) => string;
  /** A size in bytes: "812 B", "3.4 KB", "1.2 MB" (binary units). */
  formatBytes: (bytes: number) => string;
}

function fill(text: string, vars: Vars | undefined): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match));
}

function storedLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh") return saved;
  } catch {
    // Storage may be blocked; fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

function makeI18n(lang: Lang, setLang: (lang: Lang) => void): I18n {
  const messages = DICTIONARIES[lang];
  const locale = LANGUAGES.find((l) => l.code === lang)?.locale ?? "en";
  const plural = new Intl.PluralRules(locale);
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
  const number1 = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const units = lang === "zh" ? { ms: "毫秒", s: "秒", min: "分钟", h: "小时" } : { ms: "ms", s: "s", min: "min", h: "h" };
  const sep = lang === "zh" ? "" : " ";

  const t = (key: MessageKey, vars?: Vars) => fill(messages[key], vars);
  return {
    lang,
    locale,
    setLang,
    t,
    tn: (key, n, vars) => {
      const form = plural.select(n) === "one" ? "one" : "other";
      return fill(messages[`${key}_${form}` as MessageKey], { n, ...vars });
    },
    maybe: (key, vars) => (key in messages ? fill(messages[key as MessageKey], vars) : undefined),
    formatDateTime: (iso) => dateTime.format(new Date(iso)),
    formatRelative: (iso, now) => {
      // Only the past: a time a moment ahead of this browser's clock reads as "now".
      const seconds = Math.min(0, Math.round((new Date(iso).getTime() - now) / 1000));
      const abs = Math.abs(seconds);
      if (abs < 60) return relative.format(seconds, "second");
      if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
      if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
      return relative.format(Math.round(seconds / 86_400), "day");
    },
    formatBytes: (bytes) => {
      const units = ["B", "KB", "MB", "GB", "TB"];
      let value = Math.max(0, bytes);
      let unit = 0;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
      }
      return `${unit === 0 ? Math.round(value) : number1.format(value)}${sep}${units[unit] ?? "B"}`;
    },
    formatDuration: (ms) => {
      const value = Math.max(0, ms);
      if (value < 1000) return `${Math.round(value)}${sep}${units.ms}`;
      if (value < 60_000) return `${number1.format(value / 1000)}${sep}${units.s}`;
      const totalSeconds = Math.round(value / 1000);
      const hours = Math.floor(totalSeconds / 3600);
      const minutes = Math.floor((totalSeconds % 3600) / 60);
      const seconds = totalSeconds % 60;
      const parts = hours > 0 ? [[hours, units.h], [minutes, units.min]] : [[minutes, units.min], [seconds, units.s]];
      return parts
        .filter(([n], i) => i === 0 || n !== 0)
        .map(([n, unit]) => `${n}${sep}${unit}`)
        .join(" ");
    },
  };
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const value = useMemo(
    () =>
      makeI18n(lang, (next) => {
        try {
          localStorage.setItem(STORAGE_KEY, next);
        } catch {
          // Not remembered, but still switched.
        }
        setLangState(next);
      }),
    [lang],
  );

  useEffect(() => {
    document.documentElement.lang = value.locale;
  }, [value.locale]);

  return <I18nContext value={value}>{children}</I18nContext>;
}

export function useI18n(): I18n {
  const value = use(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}
