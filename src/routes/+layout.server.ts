import { isTimeZone } from '$lib/format';
import { THEME_COOKIE, ZONE_COOKIE, themeOf } from '$lib/preferences';
import type { LayoutServerLoad } from './$types';

/** Display preferences for every page (signed in or not): theme and time zone, from their cookies. */
export const load: LayoutServerLoad = async ({ cookies }) => {
	const zone = cookies.get(ZONE_COOKIE);
	return { prefs: { theme: themeOf(cookies.get(THEME_COOKIE)), zone: zone && isTimeZone(zone) ? zone : 'UTC' } };
};
