package io.latentwatch.pipeline.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compares {@link FloatText} with {@link Float#toString(float)} for every positive finite float (the sign is a prefix
 * that FloatTextTest checks): minutes, not a unit test. Run it on each JDK the job may run on, e.g.
 * {@code java -cp target/classes:target/test-classes io.latentwatch.pipeline.kafka.FloatTextExhaustiveCheck [threads]
 * [firstBits lastBits]}; it prints the floats that differ (at most 50) and how many, and exits 1 if any do.
 */
public final class FloatTextExhaustiveCheck {

    private FloatTextExhaustiveCheck() {}

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        long first = args.length > 2 ? Long.decode(args[1]) : 1;
        long last = args.length > 2 ? Long.decode(args[2]) : Float.floatToRawIntBits(Float.MAX_VALUE);
        AtomicLong differ = new AtomicLong();
        List<String> shown = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < threads; w++) {
            int id = w;
            Thread thread = new Thread(() -> {
                char[] buf = new char[FloatText.MAX_CHARS];
                for (long b = first + id; b <= last; b += threads) {
                    float f = Float.intBitsToFloat((int) b);
                    String expected = Float.toString(f);
                    int n = FloatText.write(f, buf, 0);
                    if (!same(expected, buf, n)) {
                        differ.incrementAndGet();
                        synchronized (shown) {
                            if (shown.size() < 50) {
                                shown.add(String.format("0x%08x %s: %s, FloatText %s", b, f, expected, new String(buf, 0, n)));
                            }
                        }
                    }
                    if (id == 0 && (b & 0x0FFF_FFFF) < threads) {
                        System.err.printf("at 0x%08x, %d differ, %.0f s%n", b, differ.get(), (System.nanoTime() - t0) / 1e9);
                    }
                }
            });
            thread.start();
            workers.add(thread);
        }
        for (Thread t : workers) {
            t.join();
        }
        shown.forEach(System.out::println);
        System.out.printf("%s: %d of %d floats differ from Float.toString (%s), %.0f s%n", Runtime.version(), differ.get(), last - first + 1,
                differ.get() == 0 ? "none" : "see above", (System.nanoTime() - t0) / 1e9);
        System.exit(differ.get() == 0 ? 0 : 1);
    }

    private static boolean same(String expected, char[] buf, int n) {
        if (expected.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (expected.charAt(i) != buf[i]) {
                return false;
            }
        }
        return true;
    }
}
