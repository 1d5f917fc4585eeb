# Minimal Django 3.2 settings for test/t/django.sh: one app, the test
# cluster's socket (PGHOST/PGPORT from the environment).
import os

SECRET_KEY = 'cla-eventlog-test'
INSTALLED_APPS = ['helpline']
USE_TZ = True
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': os.environ['CEL_DJANGO_DB'],
        'HOST': os.environ['PGHOST'],
        'PORT': os.environ['PGPORT'],
        'USER': os.environ.get('PGUSER', 'postgres'),
    }
}
