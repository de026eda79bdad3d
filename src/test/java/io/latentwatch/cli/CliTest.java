package io.latentwatch.cli;

import static io.latentwatch.Fixtures.FORWARD_TOLERANCE;
import static io.latentwatch.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.Fixtures;
import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.training.TrainingOptions;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The latentwatch command as a user runs it: import a PyTorch model, score PNG files, and bad arguments. */
class CliTest {

    @TempDir Path tmp;

    /** Exit code, stdout and stderr of one command line. */
    static final class Run {
        final int code;
        final String out;
        final String err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path importFixture(String fixture) {
        Path model = tmp.resolve(fixture + "-model");
        Run r = run("import-pytorch", "--weights", Fixtures.dir(fixture).resolve("weights.safetensors").toString(),
                "--config", Fixtures.dir(fixture).resolve("config.json").toString(), "--out", model.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("wrote model"), r.out);
        return model;
    }

    /** Writes the fixture's 8-bit frames as PNG files (gray or RGB), frame_00.png, frame_01.png, ... */
    private Path writePngs(String fixture, NDManager manager) throws Exception {
        NDArray u8 = Fixtures.load(manager, fixture, "frames.safetensors").get("pixels_u8");
        long[] s = u8.getShape().getShape();
        int n = (int) s[0];
        int c = (int) s[1];
        int size = (int) s[2];
        long[] px = u8.toLongArray();
        Path dir = tmp.resolve(fixture + "-png");
        Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(size, size, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int base = i * c * size * size + y * size + x;
                    if (c == 1) {
                        img.getRaster().setSample(x, y, 0, (int) px[base]);
                    } else {
                        int plane = size * size;
                        img.setRGB(x, y, (int) (px[base] << 16 | px[base + plane] << 8 | px[base + 2 * plane]));
                    }
                }
            }
            ImageIO.write(img, "png", dir.resolve(String.format("frame_%02d.png", i)).toFile());
        }
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gray32-small", "rgb64-default"})
    void importThenScoreImagesReproducesPyTorch(String fixture) throws Exception {
        Path model = importFixture(fixture);
        try (NDManager manager = NDManager.newBaseManager()) {
            Path pngs = writePngs(fixture, manager);
            Path out = tmp.resolve("scores.jsonl");
            Run r = run("score-images", "--model", model.toString(), "--out", out.toString(), "--batch-size", "5", pngs.toString());
            assertEquals(0, r.code, r.err);
            List<JsonObject> lines = Files.readAllLines(out).stream().map(l -> JsonParser.parseString(l).getAsJsonObject()).collect(Collectors.toList());
            NDList expected = Fixtures.load(manager, fixture, "expected.safetensors");
            float[] mse = expected.get("eval_mse").toFloatArray();
            NDArray mu = expected.get("eval_mu");
            assertEquals(mse.length, lines.size());
            for (int i = 0; i < lines.size(); i++) {
                JsonObject o = lines.get(i);
                assertTrue(o.get("file").getAsString().endsWith(String.format("frame_%02d.png", i)), o.get("file").getAsString());
                assertClose(o.get("mse").getAsDouble(), mse[i], FORWARD_TOLERANCE, "mse of frame " + i);
                assertEquals(o.get("mse").getAsDouble(), o.get("score").getAsDouble(), "an uncalibrated model scores by mse");
                assertClose(floats(o.getAsJsonArray("mu")), mu.get(i).toFloatArray(), FORWARD_TOLERANCE, "mu of frame " + i);
                assertEquals(mu.getShape().get(1), o.getAsJsonArray("log_var").size());
                assertTrue(o.get("kl").getAsDouble() > 0);
            }
        }
    }

    private static float[] floats(JsonArray a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.get(i).getAsFloat();
        }
        return f;
    }

    @Test
    void anUnreadableFileIsReportedAndTheOthersAreStillScored() throws Exception {
        Path model = importFixture("gray32-small");
        Path dir = tmp.resolve("mixed");
        Files.createDirectories(dir);
        BufferedImage big = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB); // colour, other size: luma + resize
        ImageIO.write(big, "jpg", dir.resolve("a.jpg").toFile());
        ImageIO.write(big, "bmp", dir.resolve("b.bmp").toFile());
        Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Run r = run("score-images", "--model", model.toString(), dir.toString());
        assertEquals(1, r.code);
        assertTrue(r.err.contains("broken.png: "), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        List<String> lines = r.out.strip().lines().collect(Collectors.toList());
        assertEquals(2, lines.size(), r.out);
        assertTrue(lines.get(0).contains("a.jpg") && lines.get(1).contains("b.bmp"), r.out);
    }

    /** Small gray camera frames as PNG files, frame_0.png, frame_1.png, ... */
    private static void cameraPngs(Path dir, int count) throws Exception {
        Files.createDirectories(dir);
        SyntheticCamera camera = SyntheticCamera.builder().imageSize(32).channels(1).build();
        for (int i = 0; i < count; i++) {
            Files.write(dir.resolve("frame_" + i + ".png"), camera.frame(i).encodePng());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gray32-small", "rgb64-default"})
    void eachHostileFileCostsOneLineAndTheOthersAreScored(String fixture) throws Exception {
        // before: the gray bomb ended the run with an OutOfMemoryError, the colour model with a NegativeArraySizeException
        Path model = importFixture(fixture);
        Path dir = tmp.resolve("hostile");
        cameraPngs(dir, 2);
        HostileImages.blackPng(dir.resolve("bomb-gray.png"), 30000, 30000, false);
        HostileImages.blackPng(dir.resolve("bomb-rgb.png"), 30000, 30000, true);
        HostileImages.gif(dir.resolve("animation.gif"));
        HostileImages.gif(dir.resolve("gif-named.png"));
        Path tiff = HostileImages.tiff(tmp.resolve("scan.tif"));

        Run r = run("score-images", "--model", model.toString(), dir.toString(), tiff.toString());

        assertEquals(1, r.code, "a file failed");
        String tooLarge = ": image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (--max-pixels)";
        assertEquals(List.of(dir.resolve("animation.gif") + ": not a PNG, JPEG or BMP image (GIF)",
                dir.resolve("bomb-gray.png") + tooLarge,
                dir.resolve("bomb-rgb.png") + tooLarge,
                dir.resolve("gif-named.png") + ": not a PNG, JPEG or BMP image (GIF)",
                tiff + ": not a PNG, JPEG or BMP image (TIF)"), r.err.lines().collect(Collectors.toList()));
        List<String> files = r.out.lines().map(l -> JsonParser.parseString(l).getAsJsonObject().get("file").getAsString()).collect(Collectors.toList());
        assertEquals(List.of(dir.resolve("frame_0.png").toString(), dir.resolve("frame_1.png").toString()), files);
    }

    @Test
    void aFileThatExhaustsTheHeapCostsOneLineAndTheRunGoesOn() throws Exception {
        Path model = importFixture("gray32-small");
        Path dir = tmp.resolve("frames");
        cameraPngs(dir, 1);
        // allowed by the pixel limit, and too narrow to subsample: decoding it throws OutOfMemoryError
        Path huge = HostileImages.bmpHeaders(tmp.resolve("a-huge.bmp"), Integer.MAX_VALUE, 1);
        Run r = run("score-images", "--model", model.toString(), "--max-pixels", "3000000000", huge.toString(), dir.toString());
        assertEquals(1, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith(huge + ": out of memory decoding it (OutOfMemoryError: Requested array size exceeds VM limit)"), r.err);
        assertEquals(1, r.out.lines().count(), r.out);
        assertTrue(r.out.contains("frame_0.png"), r.out);
    }

    @Test
    void maxPixelsIsTheLimit() throws Exception {
        Path model = importFixture("gray32-small");
        Path dir = tmp.resolve("frames");
        cameraPngs(dir, 1);
        Run r = run("score-images", "--model", model.toString(), "--max-pixels", "1000", dir.toString());
        assertEquals(1, r.code);
        assertEquals(dir.resolve("frame_0.png") + ": image too large: 32x32 pixels (1024), the limit is 1000 pixels (--max-pixels)", r.err.strip());
        assertEquals("", r.out);
        r = run("score-images", "--model", model.toString(), "--max-pixels", "1024", dir.toString());
        assertEquals(0, r.code, r.err);
        r = run("score-images", "--model", model.toString(), "--max-pixels", "0", dir.toString());
        assertEquals(2, r.code);
        assertEquals("latentwatch score-images: --max-pixels must be at least 1, got 0 (see --help)", r.err.strip());
    }

    @Test
    void badArgumentsGetOneReadableLine() {
        Run missing = run("import-pytorch", "--weights", "w.safetensors");
        assertEquals(2, missing.code);
        assertEquals(1, missing.err.strip().lines().count(), missing.err);
        assertTrue(missing.err.contains("Missing required options"), missing.err);

        Run badNumber = run("score-images", "--model", "m", "--batch-size", "many", "x.png");
        assertEquals(2, badNumber.code);
        assertEquals(1, badNumber.err.strip().lines().count(), badNumber.err);
        assertTrue(badNumber.err.contains("--batch-size"), badNumber.err);

        Run unknown = run("frobnicate");
        assertEquals(2, unknown.code);
        assertEquals(1, unknown.err.strip().lines().count(), unknown.err);

        Run badDevice = run("benchmark", "model", "--device", "tpu", "--seconds", "0.01");
        assertEquals(1, badDevice.code);
        assertEquals("latentwatch benchmark model: device must be auto, cpu, gpu or gpu:N, got tpu", badDevice.err.strip());

        Run halfOnCpu = run("benchmark", "model", "--device", "cpu", "--precisions", "fp16");
        assertEquals(1, halfOnCpu.code);
        assertEquals("latentwatch benchmark model: precision fp16 needs a GPU; on cpu() use fp32", halfOnCpu.err.strip());

        // the demo checks its flags before it trains for a minute
        Run badConsolePort = run("demo", "--console-port", "70000");
        assertEquals(2, badConsolePort.code);
        assertEquals("latentwatch demo: --console-port must be in 0..65535 (0 = a free port), got 70000 (see --help)", badConsolePort.err.strip());
        Run badGuarantee = run("demo", "--alerts-delivery-guarantee", "twice");
        assertEquals(2, badGuarantee.code);
        assertEquals("latentwatch demo: --alerts-delivery-guarantee takes exactly-once or at-least-once, got 'twice' (see --help)",
                badGuarantee.err.strip());
        Run badRotation = run("demo", "--max-rotation", "270");
        assertEquals(2, badRotation.code);
        assertEquals("latentwatch demo: --max-rotation must be between 0 and 180 degrees, got 270.0 (see --help)", badRotation.err.strip());
        Run badThreads = run("demo", "--job-threads", "0");
        assertEquals(2, badThreads.code);
        assertEquals("latentwatch demo: --job-threads must be at least 1, got 0 (see --help)", badThreads.err.strip());
        Run badKind = run("demo", "--anomaly-kinds", "scratch,dent");
        assertEquals(2, badKind.code);
        assertEquals(1, badKind.err.strip().lines().count(), badKind.err);
        assertTrue(badKind.err.contains("unknown anomaly kind 'dent'"), badKind.err);

        Run bf16 = run("score-images", "--model", "m", "--precision", "bf16", "x.png");
        assertEquals(1, bf16.code);
        assertEquals(1, bf16.err.strip().lines().count(), bf16.err);
        assertTrue(bf16.err.contains("bf16 is not supported by DJL 0.36's PyTorch engine"), bf16.err);
    }

    @Test
    void helpShowsTheDefaultsOfTheBuildersAndTheMixins() {
        TrainingOptions d = TrainingOptions.builder().build();
        Run train = run("train", "--help");
        assertEquals(0, train.code, train.err);
        String help = train.out.replaceAll("\\s+", " ");
        for (String expected : new String[] {
            "passes over the training images (default: " + d.epochs() + ")",
            ">= 2 (default: " + d.batchSize() + ")",
            "to 1 % of it (default: 0.001)",
            "rounded up (28 -> 32) (default: auto)",
            "latent dimensions (default: " + d.model().latentDim() + ")",
            "each layer halves the image (default: 32,64,128)",
            "i | ii (default: ii)",
            "weight of the KL term (default: 0.005)",
            "DIP weight of the diagonal (default: 10)",
            "--device=<device> auto | cpu | gpu | gpu:N (default: auto;",
            "(default: " + d.scoreName() + ")"}) {
            assertTrue(help.contains(expected), expected + " in\n" + train.out);
        }
        assertFalse(help.contains("--precision"), "train has no precision to choose");

        Run quality = run("benchmark", "quality", "--help");
        assertEquals(0, quality.code, quality.err);
        assertTrue(quality.out.replaceAll("\\s+", " ").contains("each layer halves the image (default: 16,32,64)"), quality.out);
        for (String benchmark : new String[] {"model", "precision"}) {
            Run r = run("benchmark", benchmark, "--help");
            assertTrue(r.out.contains("--device=<device>"), r.out);
            assertFalse(r.out.contains("--precision="), "it compares --precisions: " + r.out);
        }
    }

    @Test
    void aBadModelIsRefusedInOneLine() throws Exception {
        Path model = importFixture("gray32-small");
        Files.writeString(model.resolve("weights.safetensors"), "garbage");
        Run r = run("score-images", "--model", model.toString(), tmp.toString());
        assertEquals(1, r.code);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("sha256"), r.err);

        Run missingConfig = run("import-pytorch", "--weights", "nope.safetensors", "--config", "nope.json", "--out", tmp.resolve("x").toString());
        assertEquals(1, missingConfig.code);
        assertEquals("latentwatch import-pytorch: config file nope.json does not exist", missingConfig.err.strip());
    }

    @Test
    void benchmarkPrintsFigures() {
        Run r = run("benchmark", "model", "--device", "cpu", "--batch-sizes", "2", "--seconds", "0.05");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("benchmark=sgemm") && r.out.contains("path=fused") && r.out.contains("path=block"), r.out);
        assertTrue(r.out.contains("frames_per_s="), r.out);
    }

    @Test
    void benchmarkPrintsTrainingFiguresAndScoringBesideAFineTune() {
        Run r = run("benchmark", "model", "--device", "cpu", "--batch-sizes", "2", "--seconds", "0.05", "--train-batch-sizes", "2",
                "--alongside-fine-tune-batch", "2", "--alongside-scoring-batch", "4");
        assertEquals(0, r.code, r.err);
        for (String input : new String[] {"device", "host"}) {
            assertTrue(r.out.lines().anyMatch(l -> l.startsWith("benchmark=training ") && l.contains("input=" + input) && l.contains("batch=2")
                    && positive(l, "frames_per_s")), input + ":\n" + r.out);
        }
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("benchmark=training_step_overhead") && positive(l, "ms_per_step")), r.out);
        String beside = r.out.lines().filter(l -> l.startsWith("benchmark=scoring_while_fine_tuning")).findFirst().orElseThrow();
        assertTrue(beside.contains("batch=4") && beside.contains("train_batch=2") && positive(beside, "scoring_frames_per_s_alone")
                && positive(beside, "scoring_frames_per_s") && positive(beside, "fine_tune_frames_per_s"), beside);

        Run bad = run("benchmark", "model", "--device", "cpu", "--train-batch-sizes", "1");
        assertEquals(2, bad.code);
        assertEquals("latentwatch benchmark model: --train-batch-sizes must be at least 2 (the DIP term needs a covariance), got 1 (see --help)",
                bad.err.strip());
    }

    /** Whether a "key=value" row has {@code key} with a positive number. */
    private static boolean positive(String row, String key) {
        for (String field : row.split("\\s+")) {
            if (field.startsWith(key + "=")) {
                return Double.parseDouble(field.substring(key.length() + 1)) > 0;
            }
        }
        return false;
    }
}
