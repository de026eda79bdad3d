package io.latentwatch.bench;

import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.JsonRecords;
import io.latentwatch.scoring.ScoredFrame;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The job's own per-frame costs before and after they were cut, measured in one run (not a unit test, and no timing is
 * asserted): decode + normalise of the pipeline benchmark's PNG frames (64 × 64 RGB, for an RGB and a gray model), the
 * bulk normalisation alone, and the latents JSON of scored frames with 128 latent dimensions. The "before" code is
 * {@link BaselineDecode} and {@link BaselineJson}. Run with {@code java -cp target/classes:target/test-classes:CP
 * io.latentwatch.bench.JobCostBenchmark [frames] [rounds]}; it prints CPU µs per frame, the median of the rounds.
 */
public final class JobCostBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private JobCostBenchmark() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        ImageIO.setUseCache(false);
        SyntheticCamera camera = SyntheticCamera.builder().seed(5).imageSize(64).channels(3).anomalyRate(0.05).build();
        List<byte[]> pngs = new ArrayList<>();
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] png = camera.frame(i).encodePng();
            pngs.add(png);
            images.add(ImageReading.read(png, ImageReading.PixelBudget.cliDefault(), 64).image());
        }
        List<ScoredFrame> scored = scoredFrames(n, 128);
        System.out.printf("%d frames (PNG %d bytes on average), %d rounds, %s, %d CPUs%n", n,
                pngs.stream().mapToInt(b -> b.length).sum() / n, rounds, Runtime.version(), Runtime.getRuntime().availableProcessors());

        for (int channels : new int[] {3, 1}) {
            int c = channels;
            compare("decode + normalise, " + channels + "-channel model", n, rounds,
                    i -> checksum(BaselineDecode.decodeAndNormalise(pngs.get(i), c, 64)),
                    i -> checksum(decoded(pngs.get(i), c)));
            float[] out = new float[channels * 64 * 64];
            compare("normalise only, " + channels + "-channel model", n, rounds,
                    i -> {
                        BaselineDecode.normaliseRaster(images.get(i), c, 64, out, 0);
                        return checksum(out);
                    },
                    i -> {
                        ImageFrames.normalise(images.get(i), c, 64, out, 0);
                        return checksum(out);
                    });
        }
        compare("latents JSON, 2 x 128 floats", n, rounds,
                i -> BaselineJson.latents(scored.get(i)).length(),
                i -> JsonRecords.latents(scored.get(i)).length());
    }

    /** What the frame decoder does with a record's value. */
    private static float[] decoded(byte[] png, int channels) throws Exception {
        try (ImageReading.Opened image = ImageReading.open(png)) {
            image.check(ImageReading.PixelBudget.cliDefault());
            return image.decode(64).normalise(channels, 64);
        }
    }

    /** Frames scored as a trained model scores them: means about 0, log variances below it. */
    static List<ScoredFrame> scoredFrames(int n, int dim) {
        Random random = new Random(7);
        List<ScoredFrame> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ScoredFrame f = new ScoredFrame();
            f.source = "camera-" + (i % 4);
            f.frameId = "frames-0-" + i;
            f.capturedAt = 1_700_000_000_000L + 40L * i;
            f.modelVersion = 3;
            f.mse = 0.01 + random.nextDouble() * 0.02;
            f.kl = 20 + random.nextDouble() * 5;
            f.score = f.mse + 1e-4 * f.kl;
            f.threshold = 0.035;
            f.anomaly = f.score > f.threshold;
            f.mu = new float[dim];
            f.logVar = new float[dim];
            for (int k = 0; k < dim; k++) {
                f.mu[k] = (float) random.nextGaussian();
                f.logVar[k] = (float) (random.nextGaussian() * 0.5 - 3);
            }
            frames.add(f);
        }
        return frames;
    }

    private interface Work {
        long run(int i) throws Exception;
    }

    /** Before and after alternately, each over all frames, a round at a time; prints the medians. */
    private static void compare(String what, int n, int rounds, Work before, Work after) throws Exception {
        double[] b = new double[rounds];
        double[] a = new double[rounds];
        long sink = 0;
        for (int warm = 0; warm < 3; warm++) {
            sink += time(n, before)[1] + time(n, after)[1];
        }
        for (int r = 0; r < rounds; r++) {
            long[] tb = time(n, before);
            long[] ta = time(n, after);
            b[r] = tb[0] / 1e3 / n;
            a[r] = ta[0] / 1e3 / n;
            sink += tb[1] + ta[1];
        }
        double mb = median(b);
        double ma = median(a);
        System.out.printf("%-40s before %8.2f µs/frame   after %8.2f µs/frame   %.2fx   (%d)%n", what, mb, ma, mb / ma, sink & 1);
    }

    /** The thread's CPU time, not the wall clock: on a shared machine, time spent descheduled is not the code's. */
    private static long[] time(int n, Work w) throws Exception {
        long sum = 0;
        long t0 = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
            sum += w.run(i);
        }
        return new long[] {THREADS.getCurrentThreadCpuTime() - t0, sum};
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long checksum(float[] values) {
        return Float.floatToRawIntBits(values[0]) + Float.floatToRawIntBits(values[values.length - 1]);
    }
}
