/**
 * Display preferences kept in cookies (per browser, no account change needed): colour scheme and
 * time zone. Read by the server for the first render (no flash of the wrong theme or clock) and
 * written by the preferences menu.
 */
export const THEME_COOKIE = 'syncscope_theme';
export const ZONE_COOKIE = 'syncscope_tz';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export function themeOf(v: string | undefined | null): Theme {
	return (THEMES as readonly string[]).includes(v ?? '') ? (v as Theme) : 'system';
}

/** A year, whole site, not readable cross-site; not HttpOnly: the menu sets it from the page. */
export function cookieText(name: string, value: string): string {
	return `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=31536000; SameSite=Lax`;
}
