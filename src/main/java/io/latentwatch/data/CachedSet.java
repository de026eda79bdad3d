package io.latentwatch.data;

import java.util.List;

/**
 * A dataset the cache holds under {@code <cache>/<name>/}: its folder name (also the spec prefix), its title for
 * messages, and its class names by label number.
 */
record CachedSet(String name, String title, List<String> classNames) {}
