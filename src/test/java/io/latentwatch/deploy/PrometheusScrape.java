package io.latentwatch.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** One scrape of a Prometheus endpoint in the text exposition format (0.0.4): its samples by metric name. */
final class PrometheusScrape {

    /** One line of the exposition: {@code name{label="value",...} value}. */
    record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;

    private PrometheusScrape(List<Sample> samples) {
        this.samples = samples;
    }

    /** GETs {@code url}; the connection is closed after the answer, so no keep-alive thread is left behind. */
    static PrometheusScrape fetch(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(5000);
        c.setReadTimeout(10_000);
        try {
            if (c.getResponseCode() != 200) {
                throw new IOException(url + " answered " + c.getResponseCode());
            }
            try (InputStream in = c.getInputStream()) {
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } finally {
            c.disconnect();
        }
    }

    static PrometheusScrape parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.add(sample(line));
            }
        }
        return new PrometheusScrape(out);
    }

    /** The metric names of every sample (a summary's quantiles, {@code _count} and {@code _sum} as Prometheus stores them). */
    Set<String> names() {
        return samples.stream().map(Sample::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Of {@code wanted}, the names no sample has, in their order. */
    List<String> missing(Set<String> wanted) {
        Set<String> present = names();
        return wanted.stream().filter(n -> !present.contains(n)).collect(Collectors.toList());
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}. */
    double sum(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        int rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            rest = labels(line, brace + 1, labels);
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] valueAndTime = line.substring(rest).trim().split("\\s+");
        return new Sample(name, labels, Double.parseDouble(valueAndTime[0]));
    }

    /** Reads {@code a="x",b="y"}} from {@code i} into {@code labels}; returns the index after the closing brace. */
    private static int labels(String line, int i, Map<String, String> labels) {
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            while (line.charAt(j) != '"') {
                char ch = line.charAt(j++);
                if (ch == '\\') {
                    char escaped = line.charAt(j++);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(ch);
                }
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }
}
