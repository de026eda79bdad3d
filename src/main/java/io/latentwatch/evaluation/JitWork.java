package io.latentwatch.evaluation;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedClassLoader;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedMethod;

/**
 * What the JIT compilers worked on in a window, from JDK Flight Recorder's {@code jdk.Compilation} and
 * {@code jdk.Deoptimization} events, by the code's owner (the Kafka broker, Kafka's clients, Flink, its RPC system,
 * the JDK, latentwatch …): compilations and their time, deoptimisations, methods compiled again at a level they had
 * already reached in the window, and the class loaders their classes came from.
 *
 * <p>Why: in a JVM that has run for a while the compilers should be idle; where they are busy, these say whether it
 * is code seen for the first time, code thrown away and compiled again (deoptimisation loops), or the same code in
 * new class loaders (each copy is compiled anew).
 */
public final class JitWork {

    /** One owner's share. */
    public record Owner(String name, long compilations, long compileNanos, long deoptimizations, long recompilations, int classLoaders) {}

    /** Owners by class-name prefix; the first match wins, so the narrow ones come first. */
    static final List<Map.Entry<String, List<String>>> OWNERS = List.of(
            Map.entry("Kafka broker", List.of("kafka.", "org.apache.kafka.server.", "org.apache.kafka.raft.", "org.apache.kafka.controller.",
                    "org.apache.kafka.metadata.", "org.apache.kafka.image.", "org.apache.kafka.storage.", "org.apache.kafka.coordinator.",
                    "org.apache.kafka.network.", "org.apache.kafka.queue.", "org.apache.kafka.snapshot.", "org.apache.kafka.timeline.")),
            Map.entry("Kafka clients", List.of("org.apache.kafka.")),
            Map.entry("Flink RPC (Pekko, Scala)", List.of("org.apache.pekko.", "scala.", "org.apache.flink.runtime.rpc.")),
            Map.entry("Flink", List.of("org.apache.flink.")),
            Map.entry("latentwatch", List.of("io.latentwatch.")),
            Map.entry("DJL", List.of("ai.djl.")),
            Map.entry("ImageIO, AWT, zip", List.of("javax.imageio.", "com.sun.imageio.", "sun.awt.", "java.awt.", "java.util.zip.")),
            Map.entry("JDK", List.of("java.", "javax.", "jdk.", "sun.", "com.sun.")));

    static final String OTHER = "other libraries";

    private final Map<String, long[]> counts = new LinkedHashMap<>();
    private final Map<String, Set<String>> loaders = new HashMap<>();
    private final Set<String> compiled = new HashSet<>();

    JitWork() {
        OWNERS.forEach(o -> counts.put(o.getKey(), new long[4]));
        counts.put(OTHER, new long[4]);
    }

    /** Counts one event if it is a compilation or a deoptimisation. */
    void accept(RecordedEvent e) {
        String type = e.getEventType().getName();
        boolean compilation = "jdk.Compilation".equals(type);
        if (!compilation && !"jdk.Deoptimization".equals(type)) {
            return;
        }
        RecordedMethod method = e.getValue("method");
        if (method == null || method.getType() == null) {
            return;
        }
        RecordedClass owner = method.getType();
        String group = ownerOf(owner.getName());
        long[] c = counts.get(group);
        if (compilation) {
            c[0]++;
            c[1] += e.getDuration().toNanos();
            String key = owner.getName() + "." + method.getName() + method.getDescriptor() + "@" + e.getValue("compileLevel");
            RecordedClassLoader loader = owner.getClassLoader();
            String loaderId = loader == null ? "bootstrap" : loader.getName() + "#" + loader.getId();
            // a method compiled again at a level it already reached: thrown away, or the same code in another loader
            if (!compiled.add(key)) {
                c[3]++;
            }
            loaders.computeIfAbsent(group, g -> new HashSet<>()).add(loaderId);
        } else {
            c[2]++;
        }
    }

    /** The owner of a class by its name. */
    static String ownerOf(String className) {
        for (Map.Entry<String, List<String>> o : OWNERS) {
            for (String prefix : o.getValue()) {
                if (className.startsWith(prefix)) {
                    return o.getKey();
                }
            }
        }
        return OTHER;
    }

    /** Every owner that the compilers touched, most compile time first. */
    public List<Owner> owners() {
        return counts.entrySet().stream()
                .filter(e -> e.getValue()[0] + e.getValue()[2] > 0)
                .map(e -> new Owner(e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2], e.getValue()[3],
                        loaders.getOrDefault(e.getKey(), Set.of()).size()))
                .sorted((a, b) -> Long.compare(b.compileNanos(), a.compileNanos()))
                .toList();
    }

    @Override
    public String toString() {
        return owners().toString();
    }
}
